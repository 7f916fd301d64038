package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.TensorNames;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.model.RopeScaling;
import dev.sequoia.engine.tensor.TensorType;

/**
 * Reads a {@link LlamaConfig} from the {@code llama.*} metadata keys of a GGUF file. GGUF "NORM" rope
 * rotates adjacent pairs, so the layout is always {@link RopeLayout#INTERLEAVED}. Llama 3 frequency
 * scaling is read from {@code llama.rope.scaling.type = "llama3"} and its factor keys, or, as llama.cpp's
 * converter writes Llama 3.1 files, from the tensor {@code rope_freqs.weight}: one F32 factor per rotary pair
 * that the pair's frequency is divided by.
 */
public final class GgufLlamaConfig {
    public static final String ARCH = "llama";
    public static final String SCALING_TYPE = "llama.rope.scaling.type";
    public static final String SCALING_FACTOR = "llama.rope.scaling.factor";
    public static final String SCALING_LOW = "llama.rope.scaling.low_freq_factor";
    public static final String SCALING_HIGH = "llama.rope.scaling.high_freq_factor";
    public static final String SCALING_ORIGINAL_CONTEXT = "llama.rope.scaling.original_context_length";
    public static final String ROPE_FREQS = "rope_freqs.weight";

    private GgufLlamaConfig() {}

    public static LlamaConfig read(GgufFile f) {
        GgufMetadata m = f.metadata();
        String arch = m.string("general.architecture");
        if (!ARCH.equals(arch)) {
            throw new ModelFormatException(f.path(), "general.architecture is '" + arch + "', only 'llama' is supported");
        }
        int dim = m.intValue("llama.embedding_length");
        int heads = m.intValue("llama.attention.head_count");
        int headDim = heads > 0 && dim % heads == 0 ? dim / heads : 1;
        try {
            LlamaConfig config = new LlamaConfig(dim, m.intValue("llama.feed_forward_length"), m.intValue("llama.block_count"),
                    heads, m.intValue("llama.attention.head_count_kv", heads), vocabSize(f),
                    m.intValue("llama.context_length"),
                    (float) m.doubleValue("llama.attention.layer_norm_rms_epsilon", 1e-5),
                    (float) m.doubleValue("llama.rope.freq_base", 10000.0),
                    m.intValue("llama.rope.dimension_count", headDim), RopeLayout.INTERLEAVED, ropeScaling(f));
            return f.tensors().containsKey(ROPE_FREQS) ? config.withRopeFreqFactors(ropeFreqs(f, config)) : config;
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(f.path(), e.getMessage(), e);
        }
    }

    /** Rows of the embedding (the truth), else llama.vocab_size, else the tokenizer's length. */
    private static int vocabSize(GgufFile f) {
        GgufTensorInfo emb = f.tensors().get(TensorNames.GGUF.embedding());
        if (emb != null && emb.ne().length == 2 && emb.ne()[1] <= Integer.MAX_VALUE) return (int) emb.ne()[1];
        GgufMetadata m = f.metadata();
        if (m.has("llama.vocab_size")) return m.intValue("llama.vocab_size");
        if (m.has("tokenizer.ggml.tokens")) return m.array("tokenizer.ggml.tokens").size();
        throw new ModelFormatException(f.path(), "cannot tell the vocabulary size: no 2-D '"
                + TensorNames.GGUF.embedding() + "', no llama.vocab_size, no tokenizer.ggml.tokens");
    }

    private static RopeScaling ropeScaling(GgufFile f) {
        GgufMetadata m = f.metadata();
        String type = m.string(SCALING_TYPE, "none");
        if ("llama3".equals(type)) {
            return new RopeScaling(m.doubleValue(SCALING_FACTOR), m.doubleValue(SCALING_LOW, 1.0),
                    m.doubleValue(SCALING_HIGH, 4.0), m.intValue(SCALING_ORIGINAL_CONTEXT));
        }
        if (!"none".equals(type)) {
            throw new ModelFormatException(f.path(), SCALING_TYPE + " = '" + type + "': only 'none' and 'llama3' are supported");
        }
        return null;
    }

    /** The per-pair factors of {@code rope_freqs.weight}: F32, one per rotary pair. */
    private static float[] ropeFreqs(GgufFile f, LlamaConfig config) {
        GgufTensorInfo t = f.tensors().get(ROPE_FREQS);
        int pairs = config.ropeDim() / 2;
        if (config.ropeScaling() != null) {
            throw new ModelFormatException(f.path(), "both " + SCALING_TYPE + " = 'llama3' and tensor '" + ROPE_FREQS
                    + "' are given; they are two forms of the same scaling, a file holds one");
        }
        if (t.ggmlType() != TensorType.F32.ggmlId() || t.ne().length != 1 || t.ne()[0] != pairs) {
            throw new ModelFormatException(f.path(), "tensor '" + ROPE_FREQS + "' is " + GgmlTypeNames.name(t.ggmlType())
                    + " ne=" + java.util.Arrays.toString(t.ne()) + ", expected F32 [" + pairs + "] (one factor per rotary"
                    + " pair of llama.rope.dimension_count " + config.ropeDim() + ")");
        }
        float[] out = f.mapping().asSlice(f.dataStart() + t.offset(), 4L * pairs)
                .toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
        for (int j = 0; j < pairs; j++) {
            if (!(out[j] > 0) || !Float.isFinite(out[j])) {
                throw new ModelFormatException(f.path(), "tensor '" + ROPE_FREQS + "'[" + j + "] = " + out[j]
                        + ", expected a positive finite factor");
            }
        }
        return out;
    }
}
