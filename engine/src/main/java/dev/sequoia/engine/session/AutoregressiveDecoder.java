package dev.sequoia.engine.session;

import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.sampling.SamplingParams;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/** Plain decoding with the target alone: one forward, one token per step. */
public final class AutoregressiveDecoder implements StepDecoder {
    /** Prompts are fed in chunks of this many tokens, to bound the activations' memory. */
    public static final int PREFILL_CHUNK = 256;

    private final LlamaTransformer target;
    private final LayerSource layers;
    private KvCache cache;

    public AutoregressiveDecoder(LlamaTransformer target, int capacity) {
        this(target, LayerSource.resident(target.weights()), capacity);
    }

    /** Decoding whose forwards take the target's layers from {@code layers} (resident or streamed). */
    public AutoregressiveDecoder(LlamaTransformer target, LayerSource layers, int capacity) {
        this.target = target;
        this.layers = layers;
        this.cache = target.newCache(capacity);
    }

    @Override
    public void feed(int[] tokens) {
        feedChain(target, layers, cache, tokens);
    }

    /** Feeds and commits a chain in chunks, over the model's resident layers. */
    public static void feedChain(LlamaTransformer model, KvCache cache, int[] tokens) {
        feedChain(model, LayerSource.resident(model.weights()), cache, tokens);
    }

    /** Feeds and commits a chain in chunks, taking the layers from {@code layers}. */
    public static void feedChain(LlamaTransformer model, LayerSource layers, KvCache cache, int[] tokens) {
        feedChunks(tokens, (chunk, parents) -> model.forward(cache, chunk, parents, layers), cache::keep);
    }

    /**
     * Feeds and commits a chain on any backend, {@link #PREFILL_CHUNK} tokens at a time: for each chunk,
     * {@code forward(chunk, parents)} appends it as a chain after the committed rows, then {@code keep(path)}
     * commits all of it.
     */
    public static void feedChunks(int[] tokens, BiConsumer<int[], int[]> forward, Consumer<int[]> keep) {
        for (int start = 0; start < tokens.length; start += PREFILL_CHUNK) {
            int n = Math.min(PREFILL_CHUNK, tokens.length - start);
            int[] chunk = java.util.Arrays.copyOfRange(tokens, start, start + n);
            int[] parents = new int[n];
            int[] path = new int[n];
            for (int i = 0; i < n; i++) {
                parents[i] = i - 1;
                path[i] = i;
            }
            forward.accept(chunk, parents);
            keep.accept(path);
        }
    }

    @Override
    public StepOutput step(int root, SamplingParams sampling, RandomGenerator random) {
        return beginRound(new int[0], root, sampling, random, null).runAlone();
    }

    /** A plain step as a round: one target forward over the root (after the fed chain, if any), then sampling. */
    @Override
    public StepRound beginRound(int[] feed, int root, SamplingParams sampling, RandomGenerator random,
                                dev.sequoia.engine.speculative.TreeSpec tree) {
        model.feedAhead(feed);
        return new PlainStepRound(model, root, sampling, random, () -> model.lastNanos);
    }

    /** Feeds a prompt chunk as a round: one target forward over the chain, without logits, then the keep. */
    @Override
    public StepRound beginFeed(int[] chunk) {
        return FeedRound.of(chunk, model);
    }

    /** The target over this session's cache, as a shared pass sees it; remembers its last forward's time. */
    private final class Target implements PassModel {
        final FeedAhead feed = new FeedAhead();
        long lastNanos;

        @Override public Key passKey() { return new CpuKey(target, layers); }
        @Override public KvCache cache() { return cache; }

        @Override
        public SharedForward.Request request(int[] tokens, int[] parents) { return feed.request(this, tokens, parents); }

        @Override
        public void feedAhead(int[] chain) {
            if (chain.length > 0) feed.set(chain);
        }

        @Override
        public void keep(int[] path) { cache.keep(feed.keepPath(path)); }

        @Override
        public float[][] forward(SharedForward.Request r) {
            long t0 = System.nanoTime();
            float[][] logits = target.forward(java.util.List.of(
                    new LlamaTransformer.Part(cache, r.tokens(), r.parents(), r.logitsFrom())), layers).getFirst();
            lastNanos = System.nanoTime() - t0;
            feed.ran();
            return logits;
        }

        @Override
        public void recordShared(SharedForward.Request r, float[][] logits, long nanos) {
            lastNanos = nanos;
            feed.ran();
        }
    }

    private final Target model = new Target();

    @Override public int committed() { return cache.committed(); }
    @Override
    public void truncate(int length) {
        cache.truncate(length);
        model.feed.clear();
    }
    @Override public int rowsPerStep() { return 1; }
    @Override public int capacity() { return cache.capacity(); }
    @Override public long kvBytes() { return cache == null ? 0 : cache.allocatedBytes(); }

    @Override
    public java.util.List<KvCache.Snapshot> snapshot(int rows) { return java.util.List.of(cache.snapshot(rows)); }

    @Override
    public void restore(java.util.List<KvCache.Snapshot> snapshots) { cache.restore(snapshots.getFirst()); }

    @Override
    public void close() { cache = null; }
}
