package dev.sequoia.engine.speculative;

import dev.sequoia.decode.DecodingModel;
import dev.sequoia.engine.session.PassModel;

import java.util.Arrays;

/**
 * A model as the speculative decoder sees it, on any backend, that also remembers the logits of the forwards
 * since the last keep and the last kept path (so the engine can report the target's distribution at each
 * emitted token) and the wall time spent in forwards. Subclasses run the forward and the keep on their
 * backend ({@link TransformerModel} on the CPU, the CUDA backend's model on a GPU).
 *
 * <p>Confined to the engine thread.
 */
public abstract class RecordingModel implements DecodingModel, PassModel {
    private float[][] pendingLogits = new float[0][];
    private int pendingRows;
    private int[] lastKept = new int[0];
    private long forwardNanos;

    /** The backend's forward: appends the rows and returns their logits (see {@link DecodingModel#forward}). */
    protected abstract float[][] forwardRows(int[] tokens, int[] parents);

    /** The backend's keep (see {@link DecodingModel#keep}). */
    protected abstract void keepRows(int[] pendingIndices);

    @Override
    public final float[][] forward(int[] tokens, int[] parents) {
        long t0 = System.nanoTime();
        float[][] logits = forwardRows(tokens, parents);
        forwardNanos += System.nanoTime() - t0;
        remember(logits);
        return logits;
    }

    @Override
    public final void recordShared(float[][] logits, long nanos) {
        forwardNanos += nanos;
        remember(logits);
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
    public final void keep(int[] pendingIndices) {
        keepRows(pendingIndices);
        lastKept = pendingIndices.clone();
        pendingRows = 0;
    }

    /**
     * Forgets the logits recorded since the last keep: after a failed step (whose rows the caller rolls back),
     * the next step's rows are numbered from 0 again.
     */
    public void discardPending() {
        pendingRows = 0;
        lastKept = new int[0];
    }

    /** Logits of the pending rows kept by the last {@link #keep}, in path order (valid until the next forward). */
    public float[][] keptLogits() {
        float[][] out = new float[lastKept.length][];
        for (int i = 0; i < lastKept.length; i++) out[i] = pendingLogits[lastKept[i]];
        return out;
    }

    /** Total time in forwards. */
    public long forwardNanos() { return forwardNanos; }
}
