package dev.sequoia.engine.session;

import dev.sequoia.engine.sampling.Sampler;
import dev.sequoia.engine.sampling.SamplingParams;

import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * A plain (autoregressive) step as a round, on any backend: one target forward over the root (after the chain
 * fed ahead of it, if any), then sampling. The backend says how long the round's forward took.
 *
 * <p>Confined to the engine thread.
 */
public final class PlainStepRound implements StepRound {
    private final PassModel target;
    private final int root;
    private final SamplingParams sampling;
    private final RandomGenerator random;
    private final LongSupplier forwardNanos;
    private StepDecoder.StepOutput output;
    private int rows; // of the forward: the root, and a prompt chain fed ahead of it

    /** {@code forwardNanos}: read once the forward ran, the time it took. */
    public PlainStepRound(PassModel target, int root, SamplingParams sampling, RandomGenerator random, LongSupplier forwardNanos) {
        this.target = target;
        this.root = root;
        this.sampling = sampling;
        this.random = random;
        this.forwardNanos = forwardNanos;
    }

    @Override
    public SharedForward.Request next() {
        if (output != null) return null;
        SharedForward.Request r = target.request(new int[]{root}, new int[]{-1});
        rows = r.tokens().length;
        return r;
    }

    @Override
    public boolean verifies() { return output == null; }

    @Override
    public void supply(float[][] logits) {
        target.keep(new int[]{0}); // commits the fed chain, then the root
        long t1 = System.nanoTime();
        int next = Sampler.sample(logits[0], sampling, random);
        output = new StepDecoder.StepOutput(new int[]{next}, new float[][]{logits[0]}, 0, 0, forwardNanos.getAsLong(),
                System.nanoTime() - t1, 0, rows);
    }

    @Override
    public StepDecoder.StepOutput output() { return output; }
}
