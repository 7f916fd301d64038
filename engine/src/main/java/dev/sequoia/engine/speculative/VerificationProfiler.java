package dev.sequoia.engine.speculative;

import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.optimize.VerificationTimes;
import dev.sequoia.tree.Tree;

import java.util.Arrays;
import java.util.NavigableMap;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Measures what the hardware-aware optimizer needs: t(n), the time of one target forward over n tree tokens
 * after a prefix (the median of a few repetitions, the cache rolled back after each), and the draft's time
 * per tree level. A layer source lets it measure the offloaded configuration the target really runs in.
 */
public final class VerificationProfiler {
    private VerificationProfiler() {}

    /** Level widths at which the draft's forward is timed. */
    public static final int[] DRAFT_WIDTHS = {1, 8, 32};

    /**
     * The profile: verification seconds per budget; the draft's forward seconds by level width (tokens in one
     * draft forward), and its time at width 8, the optimizer's constant cost per level.
     */
    public record Profile(VerificationTimes times, double draftSecondsPerLevel, NavigableMap<Integer, Double> draftByWidth) {
        public Profile {
            draftByWidth = draftByWidth == null || draftByWidth.isEmpty()
                    ? new TreeMap<>(java.util.Map.of(8, draftSecondsPerLevel)) : new TreeMap<>(draftByWidth);
        }

        /** A profile from before widths were timed: every width costs the width-8 time. */
        public Profile(VerificationTimes times, double draftSecondsPerLevel) {
            this(times, draftSecondsPerLevel, null);
        }

        /** Draft seconds for one forward over {@code width} tokens: linear between timed widths, beyond them too. */
        public double draftSeconds(int width) {
            Integer lo = draftByWidth.floorKey(width), hi = draftByWidth.ceilingKey(width);
            if (lo != null && lo == width) return draftByWidth.get(lo);
            if (lo == null) lo = hi;
            if (hi == null) hi = lo;
            if (lo.equals(hi)) { // one side only: extend the nearest segment, or the single point
                Integer other = width < lo ? draftByWidth.higherKey(lo) : draftByWidth.lowerKey(lo);
                if (other == null) return draftByWidth.get(lo);
                lo = Math.min(lo, other);
                hi = Math.max(hi, other);
            }
            double a = draftByWidth.get(lo), b = draftByWidth.get(hi);
            return Math.max(0, a + (b - a) * (width - lo) / (double) (hi - lo));
        }

        /**
         * Draft seconds of one speculation step growing {@code tree} level by level: the pass over the new bonus
         * token, then one forward per level that has children (its nodes are the batch).
         */
        public double draftSecondsFor(Tree tree) {
            java.util.List<int[]> levels = tree.levelNodes();
            double s = draftSeconds(1);
            for (int l = 0; l < levels.size() - 1; l++) s += draftSeconds(levels.get(l).length);
            return s;
        }
    }

    public static Profile measure(LlamaTransformer target, LayerSource targetLayers, LlamaTransformer draft,
                                  int[] budgets, int prefix, int repetitions) {
        SortedMap<Integer, Double> times = new TreeMap<>();
        for (int n : budgets) times.put(n, seconds(target, targetLayers, prefix, n, repetitions));
        NavigableMap<Integer, Double> draftByWidth = new TreeMap<>();
        for (int w : DRAFT_WIDTHS) draftByWidth.put(w, seconds(draft, LayerSource.resident(draft.weights()), prefix, w, repetitions));
        return new Profile(new VerificationTimes(times), draftByWidth.get(8), draftByWidth);
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
