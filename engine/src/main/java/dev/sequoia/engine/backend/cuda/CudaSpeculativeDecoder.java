package dev.sequoia.engine.backend.cuda;

import dev.sequoia.decode.SpeculativeDecoder;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.session.FeedRound;
import dev.sequoia.engine.session.StepDecoder;
import dev.sequoia.engine.session.StepRound;
import dev.sequoia.engine.speculative.SpeculativeStepDecoder;
import dev.sequoia.engine.speculative.TreeProvider;
import dev.sequoia.engine.speculative.TreeSpec;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A session's decoder for speculative decoding on the CUDA backend: the target and the draft as
 * {@link CudaDecodingModel}s (this session's device KV caches over the engine's shared {@link CudaTransformer}s),
 * under the sequoia module's {@link SpeculativeDecoder}; the CUDA twin of {@link SpeculativeStepDecoder}, whose
 * rounds it shares, so a shared pass batches this session's draft and verification forwards with the other
 * sessions' (issue 18). Prompt-prefix snapshots are not supported (the KV rows live on the device).
 *
 * <p>Owns both caches, freed by {@link #close()}. Confined to the engine thread, on which the CUDA context is
 * current.
 */
final class CudaSpeculativeDecoder implements StepDecoder {
    private final CudaDecodingModel target;
    private final CudaDecodingModel draft;
    private final TreeProvider trees;

    CudaSpeculativeDecoder(CudaDecodingModel target, CudaDecodingModel draft, TreeProvider trees) {
        this.target = target;
        this.draft = draft;
        this.trees = trees;
    }

    @Override
    public void feed(int[] tokens) {
        target.feedChain(tokens);
        draft.feedChain(tokens);
    }

    @Override
    public StepOutput step(int root, SamplingParams sampling, RandomGenerator random) {
        return SpeculativeStepDecoder.step(target, draft, trees, root, sampling, random);
    }

    @Override
    public StepRound beginRound(int[] feed, int root, SamplingParams sampling, RandomGenerator random, TreeSpec tree) {
        return SpeculativeStepDecoder.beginRound(target, draft, trees, feed, root, sampling, random, tree);
    }

    @Override
    public StepRound beginFeed(int[] chunk) {
        return FeedRound.of(chunk, draft, target);
    }

    @Override
    public int committed() { return target.committedLength(); }

    @Override
    public void truncate(int length) {
        target.truncate(length);
        draft.truncate(length);
    }

    @Override
    public int rowsPerStep() { return trees.maxSize(); }

    @Override
    public int capacity() { return Math.min(target.deviceCache().capacity(), draft.deviceCache().capacity()); }

    @Override
    public long kvBytes() { return target.deviceCache().kvBytes() + draft.deviceCache().kvBytes(); }

    @Override
    public boolean supportsSnapshots() { return false; }

    @Override
    public List<KvCache.Snapshot> snapshot(int rows) { throw noSnapshots(); }

    @Override
    public void restore(List<KvCache.Snapshot> snapshots) { throw noSnapshots(); }

    static UnsupportedOperationException noSnapshots() {
        return new UnsupportedOperationException("KV snapshots (the prompt-prefix cache) are not supported on the CUDA"
                + " backend: its KV rows live on the device");
    }

    @Override
    public void close() {
        try {
            target.close();
        } finally {
            draft.close();
        }
    }
}
