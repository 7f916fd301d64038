package dev.sequoia.engine.backend.cuda;

import dev.sequoia.decode.DecodingModel;

import java.util.Arrays;

/**
 * A {@link CudaTransformer} (and so one sequence's device KV cache) as the speculative decoder sees a model:
 * the CUDA twin of {@code speculative.TransformerModel}. Also remembers the logits of the forwards since the
 * last keep and the last kept path (so the engine can report the target's distribution at each emitted token)
 * and the time spent in forwards (wall time: a forward returns after its logits are on the host).
 *
 * <p>Confined to the engine thread; does not own the transformer.
 */
final class CudaDecodingModel implements DecodingModel {
    private final CudaTransformer transformer;
    private final int vocabSize;
    private float[][] pendingLogits = new float[0][];
    private int pendingRows;
    private int[] lastKept = new int[0];
    private long forwardNanos;

    CudaDecodingModel(CudaTransformer transformer, int vocabSize) {
        this.transformer = transformer;
        this.vocabSize = vocabSize;
    }

    CudaTransformer transformer() { return transformer; }

    @Override
    public float[][] forward(int[] tokens, int[] parents) {
        long t0 = System.nanoTime();
        float[][] logits = transformer.forward(tokens, parents);
        forwardNanos += System.nanoTime() - t0;
        remember(logits);
        return logits;
    }

    /** Keeps every forward's logits since the last keep, indexed by pending row. */
    private void remember(float[][] logits) {
        if (pendingRows + logits.length > pendingLogits.length) {
            pendingLogits = Arrays.copyOf(pendingLogits, Math.max(16, 2 * (pendingRows + logits.length)));
        }
        System.arraycopy(logits, 0, pendingLogits, pendingRows, logits.length);
        pendingRows += logits.length;
    }

    @Override
    public void keep(int[] pendingIndices) {
        transformer.keep(pendingIndices);
        lastKept = pendingIndices.clone();
        pendingRows = 0;
    }

    /** Logits of the pending rows kept by the last {@link #keep}, in path order (valid until the next forward). */
    float[][] keptLogits() {
        float[][] out = new float[lastKept.length][];
        for (int i = 0; i < lastKept.length; i++) out[i] = pendingLogits[lastKept[i]];
        return out;
    }

    /** Total time in forwards. */
    long forwardNanos() { return forwardNanos; }

    @Override
    public int committedLength() { return transformer.committed(); }

    @Override
    public int vocabSize() { return vocabSize; }
}
