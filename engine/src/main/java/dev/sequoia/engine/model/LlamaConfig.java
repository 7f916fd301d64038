package dev.sequoia.engine.model;

/**
 * The hyper-parameters of a Llama-family model, whatever file it came from.
 *
 * @param dim             model width (embedding length)
 * @param hiddenDim       feed-forward width
 * @param layers          transformer blocks
 * @param heads           query heads
 * @param kvHeads         key/value heads (grouped-query attention when fewer than heads)
 * @param vocabSize       vocabulary size
 * @param contextLength   maximum positions
 * @param rmsEps          RMSNorm epsilon
 * @param ropeTheta       RoPE base frequency
 * @param ropeDim         dimensions of each head that RoPE rotates (usually headDim)
 * @param ropeLayout      which pairs rotate together
 * @param ropeScaling     Llama 3 frequency scaling, or null
 * @param ropeFreqFactors per rotary pair (ropeDim/2 of them), the factor its frequency is divided by: GGUF's
 *                        {@code rope_freqs.weight}, llama.cpp's form of the Llama 3.1 scaling; or null
 */
public record LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                          int contextLength, float rmsEps, float ropeTheta, int ropeDim,
                          RopeLayout ropeLayout, RopeScaling ropeScaling, float[] ropeFreqFactors) {
    /** A config without per-pair rope factors. */
    public LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                       int contextLength, float rmsEps, float ropeTheta, int ropeDim,
                       RopeLayout ropeLayout, RopeScaling ropeScaling) {
        this(dim, hiddenDim, layers, heads, kvHeads, vocabSize, contextLength, rmsEps, ropeTheta, ropeDim, ropeLayout,
                ropeScaling, null);
    }

    public LlamaConfig {
        require(dim > 0, "dim", dim);
        require(hiddenDim > 0, "hiddenDim", hiddenDim);
        require(layers > 0, "layers", layers);
        require(heads > 0 && dim % heads == 0, "heads (must divide dim " + dim + ")", heads);
        require(kvHeads > 0 && heads % kvHeads == 0, "kvHeads (must divide heads " + heads + ")", kvHeads);
        require(vocabSize > 0, "vocabSize", vocabSize);
        require(contextLength > 0, "contextLength", contextLength);
        require(rmsEps > 0, "rmsEps", rmsEps);
        require(ropeTheta > 0, "ropeTheta", ropeTheta);
        require(ropeDim > 0 && ropeDim % 2 == 0 && ropeDim <= dim / heads, "ropeDim (even, at most headDim)", ropeDim);
        if (ropeLayout == null) throw new IllegalArgumentException("ropeLayout is required");
        if (ropeFreqFactors != null) {
            ropeFreqFactors = ropeFreqFactors.clone();
            require(ropeFreqFactors.length == ropeDim / 2, "ropeFreqFactors length (one per rotary pair, "
                    + ropeDim / 2 + ")", ropeFreqFactors.length);
            if (ropeScaling != null) {
                throw new IllegalArgumentException("invalid model config: both llama3 rope scaling and per-pair rope"
                        + " factors given; they are two forms of the same scaling, give one");
            }
            for (int j = 0; j < ropeFreqFactors.length; j++) {
                require(ropeFreqFactors[j] > 0 && Float.isFinite(ropeFreqFactors[j]),
                        "ropeFreqFactors[" + j + "] (positive, finite)", ropeFreqFactors[j]);
            }
        }
    }

    @Override
    public float[] ropeFreqFactors() { return ropeFreqFactors == null ? null : ropeFreqFactors.clone(); }

    /** The same model with per-pair rope frequency factors (GGUF {@code rope_freqs.weight}). */
    public LlamaConfig withRopeFreqFactors(float[] factors) {
        return new LlamaConfig(dim, hiddenDim, layers, heads, kvHeads, vocabSize, contextLength, rmsEps, ropeTheta,
                ropeDim, ropeLayout, ropeScaling, factors);
    }

    private static void require(boolean ok, String field, Object value) {
        if (!ok) throw new IllegalArgumentException("invalid model config: " + field + " = " + value);
    }

    public int headDim() { return dim / heads; }
    public int kvDim() { return kvHeads * headDim(); }
    public int kvGroup() { return heads / kvHeads; }

    /** The same model with its q/k rotary pairs laid out the other way. */
    public LlamaConfig withRopeLayout(RopeLayout layout) {
        return new LlamaConfig(dim, hiddenDim, layers, heads, kvHeads, vocabSize, contextLength, rmsEps, ropeTheta,
                ropeDim, layout, ropeScaling, ropeFreqFactors);
    }
}
