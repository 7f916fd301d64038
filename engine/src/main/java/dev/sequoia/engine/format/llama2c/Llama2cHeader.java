package dev.sequoia.engine.format.llama2c;

import dev.sequoia.engine.format.BinaryCursor;
import dev.sequoia.engine.format.ModelFormatException;

/**
 * The seven little-endian int32 values that open a llama2.c (v0) checkpoint. A negative vocab size means
 * the classifier is stored separately at the end; a positive one that it shares the embedding.
 */
public record Llama2cHeader(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                            int seqLen, boolean sharedClassifier) {
    public static final int BYTES = 7 * 4;

    public static Llama2cHeader read(BinaryCursor in) {
        int dim = positive(in, "dim");
        int hidden = positive(in, "hidden_dim");
        int layers = positive(in, "n_layers");
        int heads = positive(in, "n_heads");
        int kvHeads = positive(in, "n_kv_heads");
        int vocab = in.i32("vocab_size");
        if (vocab == 0 || vocab == Integer.MIN_VALUE) throw in.error("vocab_size = " + vocab + ", expected non-zero");
        int seqLen = positive(in, "seq_len");
        if (dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0) {
            throw new ModelFormatException(in.file(), "header dim=" + dim + " n_heads=" + heads + " n_kv_heads="
                    + kvHeads + ": n_heads must divide dim into even head sizes and n_kv_heads must divide n_heads");
        }
        return new Llama2cHeader(dim, hidden, layers, heads, kvHeads, Math.abs(vocab), seqLen, vocab > 0);
    }

    private static int positive(BinaryCursor in, String field) {
        int v = in.i32(field);
        if (v <= 0) throw in.error("header field " + field + " = " + v + ", expected a positive value");
        return v;
    }

    public int headDim() { return dim / heads; }
    public int kvDim() { return kvHeads * headDim(); }
}
