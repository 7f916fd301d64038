package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.engine.speculative.VerificationProfiler;
import dev.sequoia.optimize.VerificationTimes;

import java.util.Arrays;
import java.util.NavigableMap;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What {@code --tree auto} needs, measured on the GPU the way {@link VerificationProfiler} measures it on the CPU:
 * t(n), the target's forward over an n-token tree after a prefix (median of a few repetitions, the pending rows
 * dropped after each), in the configuration the target runs in (its resident and streamed layers), and the
 * draft's forward time per level width. Wall time of {@link CudaTransformer#forward}, which ends with the logits
 * on the host: what a speculation step pays. Runs on the thread that owns the context.
 */
final class CudaProfiler {
    private CudaProfiler() {}

    static VerificationProfiler.Profile measure(CudaContext ctx, CudaWeights target, CudaWeights draft, int[] budgets,
                                                int prefix, int repetitions) {
        int maxN = Math.max(Arrays.stream(budgets).max().orElse(1), VerificationProfiler.DRAFT_WIDTHS[VerificationProfiler.DRAFT_WIDTHS.length - 1]);
        SortedMap<Integer, Double> times = new TreeMap<>();
        try (CudaTransformer t = new CudaTransformer(ctx, target, capacity(target, prefix, maxN), maxN)) {
            for (int n : budgets) times.put(n, seconds(t, target.config.vocabSize(), prefix, n, repetitions));
        }
        NavigableMap<Integer, Double> draftByWidth = new TreeMap<>();
        try (CudaTransformer d = new CudaTransformer(ctx, draft, capacity(draft, prefix, maxN), maxN)) {
            for (int w : VerificationProfiler.DRAFT_WIDTHS) draftByWidth.put(w, seconds(d, draft.config.vocabSize(), prefix, w, repetitions));
        }
        return new VerificationProfiler.Profile(new VerificationTimes(times), draftByWidth.get(8), draftByWidth);
    }

    private static int capacity(CudaWeights w, int prefix, int maxN) {
        return Math.min(w.config.contextLength(), prefix + maxN);
    }

    /** Median seconds of a forward over a binary tree of {@code n} tokens after {@code prefix} committed tokens. */
    static double seconds(CudaTransformer model, int vocab, int prefix, int n, int repetitions) {
        int pre = Math.max(0, Math.min(prefix, model.capacity() - n));
        model.truncate(0);
        for (int done = 0; done < pre; ) { // the prefix as a chain, in batches the transformer takes
            int k = Math.min(model.maxBatch(), pre - done);
            int[] tokens = new int[k], parents = new int[k], path = new int[k];
            for (int i = 0; i < k; i++) {
                tokens[i] = 1 + (done + i) % (vocab - 1);
                parents[i] = i - 1;
                path[i] = i;
            }
            model.forward(tokens, parents);
            model.keep(path);
            done += k;
        }
        int[] tokens = new int[n], parents = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = 1 + (i * 7) % (vocab - 1);
            parents[i] = i == 0 ? -1 : (i - 1) / 2; // a binary tree: a realistic attention shape
        }
        model.forward(tokens, parents); // warm-up
        model.truncate(pre);
        double[] s = new double[Math.max(1, repetitions)];
        for (int r = 0; r < s.length; r++) {
            long t0 = System.nanoTime();
            model.forward(tokens, parents);
            s[r] = (System.nanoTime() - t0) / 1e9;
            model.truncate(pre);
        }
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
