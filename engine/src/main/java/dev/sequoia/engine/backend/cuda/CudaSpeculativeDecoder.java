package dev.sequoia.engine.backend.cuda;

import dev.sequoia.decode.SpeculativeDecoder;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.session.StepDecoder;
import dev.sequoia.engine.speculative.SpeculativeStepDecoder;
import dev.sequoia.engine.speculative.TreeProvider;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A session's decoder for speculative decoding on the CUDA backend: the target and the draft as
 * {@link CudaTransformer}s, each with its own device KV cache, under the sequoia module's
 * {@link SpeculativeDecoder}; the CUDA twin of {@link SpeculativeStepDecoder}. Prompt-prefix snapshots are not
 * supported (the KV rows live on the device).
 *
 * <p>Owns both transformers, freed by {@link #close()}. Confined to the engine thread, on which the CUDA
 * context is current.
 */
final class CudaSpeculativeDecoder implements StepDecoder {
    private final CudaDecodingModel target;
    private final CudaDecodingModel draft;
    private final TreeProvider trees;

    CudaSpeculativeDecoder(CudaTransformer target, CudaTransformer draft, int vocabSize, TreeProvider trees) {
        this.target = new CudaDecodingModel(target, vocabSize);
        this.draft = new CudaDecodingModel(draft, vocabSize);
        this.trees = trees;
    }

    @Override
    public void feed(int[] tokens) {
        CudaAutoregressiveDecoder.feedChain(target.transformer(), tokens);
        CudaAutoregressiveDecoder.feedChain(draft.transformer(), tokens);
    }

    @Override
    public StepOutput step(int root, SamplingParams sampling, RandomGenerator random) {
        return SpeculativeStepDecoder.step(target, draft, trees, root, sampling, random);
    }

    @Override
    public int committed() { return target.committedLength(); }

    @Override
    public void truncate(int length) {
        target.transformer().truncate(length);
        draft.transformer().truncate(length);
        target.discardPending();
        draft.discardPending();
    }

    @Override
    public int rowsPerStep() { return trees.maxSize(); }

    @Override
    public int capacity() { return Math.min(target.transformer().capacity(), draft.transformer().capacity()); }

    @Override
    public long kvBytes() { return target.transformer().kvBytes() + draft.transformer().kvBytes(); }

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
            target.transformer().close();
        } finally {
            draft.transformer().close();
        }
    }
}
