package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.TensorNames;
import dev.sequoia.engine.format.TensorSlice;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.model.RopeScaling;
import dev.sequoia.engine.tensor.TensorType;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;

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
        return read(f, GgufReader.slices(f));
    }

    /**
     * The config from the metadata of {@code f} (a model's only or first part) and the model's tensors (of
     * every part, for a split model).
     */
    public static LlamaConfig read(GgufFile f, Map<String, TensorSlice> tensors) {
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
                    heads, m.intValue("llama.attention.head_count_kv", heads), vocabSize(f, tensors),
                    m.intValue("llama.context_length"),
                    (float) m.doubleValue("llama.attention.layer_norm_rms_epsilon", 1e-5),
                    (float) m.doubleValue("llama.rope.freq_base", 10000.0),
                    m.intValue("llama.rope.dimension_count", headDim), RopeLayout.INTERLEAVED, ropeScaling(f));
            TensorSlice freqs = tensors.get(ROPE_FREQS);
            return freqs != null ? config.withRopeFreqFactors(ropeFreqs(f.path(), freqs, config)) : config;
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(f.path(), e.getMessage(), e);
        }
    }

    /** Rows of the embedding (the truth), else llama.vocab_size, else the tokenizer's length. */
    private static int vocabSize(GgufFile f, Map<String, TensorSlice> tensors) {
        TensorSlice emb = tensors.get(TensorNames.GGUF.embedding());
        if (emb != null && emb.shape().length == 2 && emb.shape()[0] <= Integer.MAX_VALUE) return (int) emb.shape()[0];
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
    private static float[] ropeFreqs(Path file, TensorSlice t, LlamaConfig config) {
        int pairs = config.ropeDim() / 2;
        if (config.ropeScaling() != null) {
            throw new ModelFormatException(file, "both " + SCALING_TYPE + " = 'llama3' and tensor '" + ROPE_FREQS
                    + "' are given; they are two forms of the same scaling, a file holds one");
        }
        if (t.type() != TensorType.F32 || t.shape().length != 1 || t.shape()[0] != pairs) {
            throw new ModelFormatException(file, "tensor '" + ROPE_FREQS + "' is " + t.type() + " " + t.shapeString()
                    + ", expected F32 [" + pairs + "] (one factor per rotary pair of llama.rope.dimension_count "
                    + config.ropeDim() + ")");
        }
        float[] out = t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
        for (int j = 0; j < pairs; j++) {
            if (!(out[j] > 0) || !Float.isFinite(out[j])) {
                throw new ModelFormatException(file, "tensor '" + ROPE_FREQS + "'[" + j + "] = " + out[j]
                        + ", expected a positive finite factor");
            }
        }
        return out;
    }
}
