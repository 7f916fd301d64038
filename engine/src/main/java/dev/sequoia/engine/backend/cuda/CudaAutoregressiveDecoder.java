package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.sampling.Sampler;
import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.session.AutoregressiveDecoder;
import dev.sequoia.engine.session.StepDecoder;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Plain decoding with the target alone on the CUDA backend: one forward, one token per step; the CUDA twin
 * of {@link AutoregressiveDecoder}. Prompt-prefix snapshots are not supported (the KV rows live on the device).
 *
 * <p>Owns its {@link CudaTransformer} (device KV cache and scratch), freed by {@link #close()}. Confined to the
 * engine thread, on which the CUDA context is current.
 */
final class CudaAutoregressiveDecoder implements StepDecoder {
    private final CudaTransformer target;

    CudaAutoregressiveDecoder(CudaTransformer target) {
        this.target = target;
    }

    @Override
    public void feed(int[] tokens) {
        feedChain(target, tokens);
    }

    /** Feeds and commits a chain in chunks of {@link AutoregressiveDecoder#PREFILL_CHUNK} tokens. */
    static void feedChain(CudaTransformer model, int[] tokens) {
        AutoregressiveDecoder.feedChunks(tokens, model::forward, model::keep);
    }

    @Override
    public StepOutput step(int root, SamplingParams sampling, RandomGenerator random) {
        long t0 = System.nanoTime();
        float[] logits = target.forward(new int[]{root}, new int[]{-1})[0];
        target.keep(new int[]{0});
        long t1 = System.nanoTime();
        int next = Sampler.sample(logits, sampling, random);
        long t2 = System.nanoTime();
        return new StepOutput(new int[]{next}, new float[][]{logits}, 0, 0, t1 - t0, t2 - t1);
    }

    @Override public int committed() { return target.committed(); }
    @Override public void truncate(int length) { target.truncate(length); }
    @Override public int rowsPerStep() { return 1; }
    @Override public int capacity() { return target.capacity(); }
    @Override public long kvBytes() { return target.kvBytes(); }
    @Override public boolean supportsSnapshots() { return false; }

    @Override
    public List<KvCache.Snapshot> snapshot(int rows) { throw CudaSpeculativeDecoder.noSnapshots(); }

    @Override
    public void restore(List<KvCache.Snapshot> snapshots) { throw CudaSpeculativeDecoder.noSnapshots(); }

    @Override
    public void close() { target.close(); }
}
