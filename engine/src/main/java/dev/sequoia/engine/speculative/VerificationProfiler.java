package dev.sequoia.engine.speculative;

import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.optimize.VerificationTimes;

import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Measures what the hardware-aware optimizer needs: t(n), the time of one target forward over n tree tokens
 * after a prefix (the median of a few repetitions, the cache rolled back after each), and the draft's time
 * per tree level. A layer source lets it measure the offloaded configuration the target really runs in.
 */
public final class VerificationProfiler {
    private VerificationProfiler() {}

    /** The profile: verification seconds per budget and draft seconds per level. */
    public record Profile(VerificationTimes times, double draftSecondsPerLevel) {}

    public static Profile measure(LlamaTransformer target, LayerSource targetLayers, LlamaTransformer draft,
                                  int[] budgets, int prefix, int repetitions) {
        SortedMap<Integer, Double> times = new TreeMap<>();
        for (int n : budgets) times.put(n, seconds(target, targetLayers, prefix, n, repetitions));
        double draftLevel = seconds(draft, LayerSource.resident(draft.weights()), prefix, 8, repetitions);
        return new Profile(new VerificationTimes(times), draftLevel);
    }

    /** Median seconds of a forward over a random-shaped tree of n tokens after {@code prefix} tokens. */
    public static double seconds(LlamaTransformer model, LayerSource layers, int prefix, int n, int repetitions) {
        int capacity = Math.min(model.config().contextLength(), prefix + n);
        int pre = Math.max(0, capacity - n);
        KvCache cache = model.newCache(capacity);
        if (pre > 0) {
            int[] tokens = new int[pre];
            int[] parents = new int[pre];
            int[] path = new int[pre];
            for (int i = 0; i < pre; i++) {
                tokens[i] = 1 + i % (model.config().vocabSize() - 1);
                parents[i] = i - 1;
                path[i] = i;
            }
            model.forward(cache, tokens, parents, layers);
            cache.keep(path);
        }
        int[] tokens = new int[n];
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = 1 + (i * 7) % (model.config().vocabSize() - 1);
            parents[i] = i == 0 ? -1 : (i - 1) / 2; // a binary tree: realistic attention shape
        }
        double[] s = new double[Math.max(1, repetitions)];
        model.forward(cache, tokens, parents, layers); // warm-up
        cache.truncate(pre);
        for (int r = 0; r < s.length; r++) {
            long t0 = System.nanoTime();
            model.forward(cache, tokens, parents, layers);
            s[r] = (System.nanoTime() - t0) / 1e9;
            cache.truncate(pre);
        }
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
