package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.session.AutoregressiveDecoder;
import dev.sequoia.engine.session.FeedRound;
import dev.sequoia.engine.session.PlainStepRound;
import dev.sequoia.engine.session.StepDecoder;
import dev.sequoia.engine.session.StepRound;
import dev.sequoia.engine.speculative.TreeSpec;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Plain decoding with the target alone on the CUDA backend: one forward, one token per step; the CUDA twin
 * of {@link AutoregressiveDecoder}. Its steps are rounds a shared pass batches with other sessions' (issue 18).
 * Prompt-prefix snapshots are not supported (the KV rows live on the device).
 *
 * <p>Owns its device KV cache (over the engine's shared {@link CudaTransformer}), freed by {@link #close()}.
 * Confined to the engine thread, on which the CUDA context is current.
 */
final class CudaAutoregressiveDecoder implements StepDecoder {
    private final CudaDecodingModel target;

    CudaAutoregressiveDecoder(CudaDecodingModel target) {
        this.target = target;
    }

    @Override
    public void feed(int[] tokens) {
        target.feedChain(tokens);
    }

    @Override
    public StepOutput step(int root, SamplingParams sampling, RandomGenerator random) {
        return beginRound(new int[0], root, sampling, random, null).runAlone();
    }

    /** A plain step as a round: one target forward over the root (after the fed chain, if any), then sampling. */
    @Override
    public StepRound beginRound(int[] feed, int root, SamplingParams sampling, RandomGenerator random, TreeSpec tree) {
        target.feedAhead(feed);
        long forward0 = target.forwardNanos();
        return new PlainStepRound(target, root, sampling, random, () -> target.forwardNanos() - forward0);
    }

    /** Feeds a prompt chunk as a round: one target forward over the chain, without logits, then the keep. */
    @Override
    public StepRound beginFeed(int[] chunk) {
        return FeedRound.of(chunk, target);
    }

    @Override public int committed() { return target.committedLength(); }
    @Override public void truncate(int length) { target.truncate(length); }
    @Override public int rowsPerStep() { return 1; }
    @Override public int capacity() { return target.deviceCache().capacity(); }
    @Override public long kvBytes() { return target.deviceCache().kvBytes(); }
    @Override public boolean supportsSnapshots() { return false; }

    @Override
    public List<KvCache.Snapshot> snapshot(int rows) { throw CudaSpeculativeDecoder.noSnapshots(); }

    @Override
    public void restore(List<KvCache.Snapshot> snapshots) { throw CudaSpeculativeDecoder.noSnapshots(); }

    @Override
    public void close() { target.close(); }
}
