package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.TensorNames;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.model.RopeScaling;

/**
 * Reads a {@link LlamaConfig} from the {@code llama.*} metadata keys of a GGUF file. GGUF "NORM" rope
 * rotates adjacent pairs, so the layout is always {@link RopeLayout#INTERLEAVED}. Llama 3 frequency
 * scaling is read from {@code llama.rope.scaling.type = "llama3"} and its factor keys.
 */
public final class GgufLlamaConfig {
    public static final String ARCH = "llama";
    public static final String SCALING_TYPE = "llama.rope.scaling.type";
    public static final String SCALING_FACTOR = "llama.rope.scaling.factor";
    public static final String SCALING_LOW = "llama.rope.scaling.low_freq_factor";
    public static final String SCALING_HIGH = "llama.rope.scaling.high_freq_factor";
    public static final String SCALING_ORIGINAL_CONTEXT = "llama.rope.scaling.original_context_length";

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
            return new LlamaConfig(dim, m.intValue("llama.feed_forward_length"), m.intValue("llama.block_count"),
                    heads, m.intValue("llama.attention.head_count_kv", heads), vocabSize(f),
                    m.intValue("llama.context_length"),
                    (float) m.doubleValue("llama.attention.layer_norm_rms_epsilon", 1e-5),
                    (float) m.doubleValue("llama.rope.freq_base", 10000.0),
                    m.intValue("llama.rope.dimension_count", headDim), RopeLayout.INTERLEAVED, ropeScaling(f));
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
        if (f.tensors().containsKey("rope_freqs.weight")) {
            throw new ModelFormatException(f.path(), "tensor 'rope_freqs.weight' (per-dimension rope factors) is not "
                    + "supported; give the llama3 scaling as " + SCALING_TYPE + " and its factor keys instead");
        }
        return null;
    }
}
