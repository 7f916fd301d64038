package dev.sequoia.engine.model;

import dev.sequoia.engine.tensor.WeightMatrix;

/**
 * One transformer block's weights. Norm weights are small and held as float arrays; the seven
 * projections are typed views. Names follow llama2.c: w1 = gate, w2 = down, w3 = up.
 */
public record LayerWeights(float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                           float[] ffnNorm, WeightMatrix w1, WeightMatrix w2, WeightMatrix w3) {

    /** Bytes of the seven projections: what streaming this layer moves. */
    public long projectionBytes() {
        return wq.byteSize() + wk.byteSize() + wv.byteSize() + wo.byteSize()
                + w1.byteSize() + w2.byteSize() + w3.byteSize();
    }

    /** The same layer over other projection matrices (for instance views into a streamed slot). */
    public LayerWeights withProjections(WeightMatrix q, WeightMatrix k, WeightMatrix v, WeightMatrix o,
                                        WeightMatrix gate, WeightMatrix down, WeightMatrix up) {
        return new LayerWeights(attnNorm, q, k, v, o, ffnNorm, gate, down, up);
    }
}
