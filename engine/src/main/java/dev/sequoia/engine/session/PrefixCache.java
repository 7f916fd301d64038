package dev.sequoia.engine.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sequoia.engine.kv.KvCache;

import java.util.Arrays;
import java.util.List;

/**
 * Prompt-prefix cache: KV snapshots of prompts already fed, keyed by their tokens and weighed in bytes
 * (Caffeine, bounded by a byte budget). A new session whose prompt starts with a cached prefix restores
 * those rows instead of recomputing them. Snapshots live on the heap, so eviction needs no freeing.
 */
public final class PrefixCache {
    private final Cache<Key, Entry> cache;
    private final int minTokens;

    /**
     * @param budgetBytes most bytes of snapshots kept; 0 disables the cache
     * @param minTokens   shortest prefix worth caching
     */
    public PrefixCache(long budgetBytes, int minTokens) {
        this.minTokens = minTokens;
        this.cache = budgetBytes <= 0 ? null : Caffeine.newBuilder()
                .maximumWeight(budgetBytes)
                .weigher((Key k, Entry e) -> (int) Math.min(Integer.MAX_VALUE, e.bytes()))
                .build();
    }

    /** The longest cached prefix of {@code tokens[0..maxLength)}, or null. */
    public Entry longestPrefix(int[] tokens, int maxLength) {
        if (cache == null) return null;
        for (int len = maxLength; len >= minTokens; len--) {
            Entry e = cache.getIfPresent(new Key(Arrays.copyOf(tokens, len)));
            if (e != null) return e;
        }
        return null;
    }

    public void put(int[] prefix, List<KvCache.Snapshot> snapshots) {
        if (cache == null || prefix.length < minTokens) return;
        cache.put(new Key(prefix.clone()), new Entry(prefix.length, List.copyOf(snapshots)));
    }

    /** Bytes held now (after pending evictions run). */
    public long bytes() {
        if (cache == null) return 0;
        cache.cleanUp();
        return cache.asMap().values().stream().mapToLong(Entry::bytes).sum();
    }

    /** A cached prefix: how many tokens and the caches' rows for them. */
    public record Entry(int tokens, List<KvCache.Snapshot> snapshots) {
        long bytes() { return snapshots.stream().mapToLong(KvCache.Snapshot::bytes).sum(); }
    }

    private record Key(int[] tokens) {
        @Override public boolean equals(Object o) { return o instanceof Key k && Arrays.equals(tokens, k.tokens); }
        @Override public int hashCode() { return Arrays.hashCode(tokens); }
    }
}
