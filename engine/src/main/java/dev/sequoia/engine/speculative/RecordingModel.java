package dev.sequoia.engine.speculative;

import dev.sequoia.decode.DecodingModel;
import dev.sequoia.engine.session.FeedAhead;
import dev.sequoia.engine.session.PassModel;
import dev.sequoia.engine.session.SharedForward;

import java.util.Arrays;

/**
 * A model as the speculative decoder sees it, on any backend, that also remembers the logits of the forwards
 * since the last keep and the last kept path (so the engine can report the target's distribution at each
 * emitted token) and the wall time spent in forwards. Subclasses run the forward and the keep on their
 * backend ({@link TransformerModel} on the CPU, the CUDA backend's model on a GPU).
 *
 * <p>A prompt chain given to {@link #feedAhead} goes in front of the next forward's rows and is committed by the
 * next keep: the decoder's pending-row indices (its tree's node ids) stay those of the step alone.
 *
 * <p>Confined to the engine thread.
 */
public abstract class RecordingModel implements DecodingModel, PassModel {
    private float[][] pendingLogits = new float[0][];
    private int pendingRows;
    private int[] lastKept = new int[0];
    private long forwardNanos;
    private final FeedAhead feed = new FeedAhead();

    /** The backend's forward: appends the rows and returns their logits (see {@link DecodingModel#forward}). */
    protected abstract float[][] forwardRows(int[] tokens, int[] parents);

    /**
     * The backend's forward whose first {@code logitsFrom} rows are a fed chain: returns the logits of the rows
     * from {@code logitsFrom} on (a backend that can skip the chain's logits overrides this).
     */
    protected float[][] forwardRows(int[] tokens, int[] parents, int logitsFrom) {
        float[][] logits = forwardRows(tokens, parents);
        return logitsFrom == 0 ? logits : Arrays.copyOfRange(logits, logitsFrom, logits.length);
    }

    /** The backend's keep (see {@link DecodingModel#keep}). */
    protected abstract void keepRows(int[] pendingIndices);

    @Override
    public void feedAhead(int[] chain) {
        if (chain.length > 0) feed.set(chain);
    }

    @Override
    public final float[][] forward(int[] tokens, int[] parents) {
        return forward(request(tokens, parents));
    }

    @Override
    public final SharedForward.Request request(int[] tokens, int[] parents) {
        return feed.request(this, tokens, parents);
    }

    @Override
    public final float[][] forward(SharedForward.Request request) {
        long t0 = System.nanoTime();
        float[][] logits = forwardRows(request.tokens(), request.parents(), request.logitsFrom());
        forwardNanos += System.nanoTime() - t0;
        feed.ran();
        remember(logits);
        return logits;
    }

    @Override
    public final void recordShared(SharedForward.Request request, float[][] logits, long nanos) {
        forwardNanos += nanos;
        feed.ran();
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
        keepRows(feed.keepPath(pendingIndices));
        lastKept = pendingIndices.clone();
        pendingRows = 0;
    }

    /**
     * Forgets the logits recorded since the last keep and any prompt chain being fed: after a failed step (whose
     * rows the caller rolls back), the next step's rows are numbered from 0 again.
     */
    public void discardPending() {
        feed.clear();
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
