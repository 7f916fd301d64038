package dev.sequoia.engine.bench.device;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.engine.backend.cuda.CudaKvCache;
import dev.sequoia.engine.backend.cuda.CudaTransformer;
import dev.sequoia.engine.backend.cuda.CudaWeights;
import dev.sequoia.engine.backend.cuda.TreeAttentionKernel;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.offload.device.StreamPlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Shared CUDA forwards (issue 18) against each sequence alone: sequences of different prompt lengths run their
 * forwards as ONE {@link CudaTransformer#forward(List)} (prompt chains fed ahead of trees, trees of different
 * shapes with several roots, earlier pending rows like a draft's levels, random kept paths), and the same
 * forwards run one sequence at a time on twin caches of the same transformer and on the CPU backend's scalar
 * {@link LlamaTransformer}. Used by the GPU tests and the GPU check ({@code shared_pass}); needs a GPU.
 */
public final class SharedPasses {
    private SharedPasses() {}

    /**
     * The worst differences over every compared logit, relative to the row's largest CPU logit (at least 1):
     * shared vs alone on the GPU, shared vs the CPU; and whether every row's argmax (greedy token) is the same
     * shared as alone (rows whose alone top two logits are a near-tie excepted).
     */
    public record Comparison(int forwards, int rows, double sharedVsAlone, double sharedVsCpu, boolean argmaxEqual) {
        /** Within {@code tolerance} both ways (NaN-safe: a NaN difference fails) and every argmax equal. */
        public boolean within(double tolerance) {
            return sharedVsAlone <= tolerance && sharedVsCpu <= tolerance && argmaxEqual;
        }
    }

    /** One sequence in three views: its cache in shared passes, its twin cache alone, and the CPU's cache. */
    private static final class Sequence {
        final CudaKvCache shared, alone;
        final KvCache cpu;

        Sequence(CudaTransformer gpu, LlamaTransformer cpuModel, int capacity) {
            shared = gpu.newCache(capacity);
            alone = gpu.newCache(capacity);
            cpu = cpuModel.newCache(capacity);
        }
    }

    /** One sequence's rows in a forward: tokens, parents (pending rows of its cache), logitsFrom. */
    private record Rows(int[] tokens, int[] parents, int logitsFrom) {
    }

    /**
     * {@code sequences} sequences (prompts of the given lengths, fed ahead of their first trees in one shared
     * pass) through {@code steps} more steps of random trees; returns the worst differences seen.
     *
     * @param initialBatch the shared transformer's initial scratch rows: small, so passes grow the scratch
     */
    public static Comparison mixedPasses(CudaContext ctx, Model m, StreamPlan plan, TreeAttentionKernel kernel,
                                         int[] promptLengths, int steps, int initialBatch, long seed) {
        LlamaTransformer cpu = new LlamaTransformer(m, new ScalarMatMul());
        LayerSource layers = LayerSource.resident(m.weights());
        Random r = new Random(seed);
        int vocab = m.config().vocabSize();
        List<Sequence> seqs = new ArrayList<>();
        double[] worst = new double[2];
        boolean[] argmax = {true};
        int[] counts = new int[2];
        try (CudaWeights w = CudaWeights.fromModel(ctx, m.config(), m.weights(), plan);
             CudaTransformer gpu = new CudaTransformer(ctx, w, 0, initialBatch, kernel)) {
            try {
                for (int len : promptLengths) seqs.add(new Sequence(gpu, cpu, 64 + len + 24 * (steps + 1)));
                // step 0: every prompt fed ahead of its first tree, all in one pass (as prompts ride a shared pass)
                List<Rows> first = new ArrayList<>();
                for (int len : promptLengths) first.add(withChainAhead(randomTokens(len, vocab, r), tree(1 + r.nextInt(8), vocab, r), 0));
                forward(gpu, cpu, layers, seqs, first, worst, argmax, counts);
                keepRandomPaths(gpu, seqs, r);
                for (int step = 1; step <= steps; step++) {
                    // a draft-like earlier forward on some sequences (shared among them): pending rows before the tree
                    List<Sequence> drafting = new ArrayList<>();
                    List<Rows> levels = new ArrayList<>();
                    for (int i = 0; i < seqs.size(); i++) {
                        if ((step + i) % 2 == 0) {
                            drafting.add(seqs.get(i));
                            levels.add(tree(1 + r.nextInt(4), vocab, r));
                        }
                    }
                    if (!drafting.isEmpty()) forward(gpu, cpu, layers, drafting, levels, worst, argmax, counts);
                    List<Rows> trees = new ArrayList<>();
                    for (int i = 0; i < seqs.size(); i++) {
                        Rows t = tree(1 + r.nextInt(12), vocab, r);
                        int pending = seqs.get(i).cpu.pending();
                        Rows placed = pending == 0 ? t : hangBelow(t, pending - 1); // the tree under the last drafted row
                        // once, a part that wants no logits (a feed-only prompt chunk): its K/V rows must still land
                        trees.add(step == 1 && i == 0 ? new Rows(placed.tokens(), placed.parents(), placed.tokens().length) : placed);
                    }
                    forward(gpu, cpu, layers, seqs, trees, worst, argmax, counts);
                    keepRandomPaths(gpu, seqs, r);
                }
            } finally {
                for (Sequence s : seqs) {
                    s.shared.close();
                    s.alone.close();
                }
            }
        }
        return new Comparison(counts[0], counts[1], worst[0], worst[1], argmax[0]);
    }

    /** One forward of every sequence's rows: shared on the GPU, each alone on the GPU, each on the CPU. */
    private static void forward(CudaTransformer gpu, LlamaTransformer cpu, LayerSource layers, List<Sequence> seqs,
                                List<Rows> rows, double[] worst, boolean[] argmax, int[] counts) {
        List<CudaTransformer.Part> parts = new ArrayList<>();
        for (int i = 0; i < seqs.size(); i++) {
            Rows x = rows.get(i);
            parts.add(new CudaTransformer.Part(seqs.get(i).shared, x.tokens(), x.parents(), x.logitsFrom()));
        }
        List<float[][]> shared = gpu.forward(parts);
        counts[0]++;
        for (int i = 0; i < seqs.size(); i++) {
            Rows x = rows.get(i);
            Sequence s = seqs.get(i);
            float[][] alone = gpu.forward(List.of(new CudaTransformer.Part(s.alone, x.tokens(), x.parents(), x.logitsFrom()))).getFirst();
            float[][] want = cpu.forward(List.of(new LlamaTransformer.Part(s.cpu, x.tokens(), x.parents(), x.logitsFrom())), layers).getFirst();
            if (shared.get(i).length != want.length || alone.length != want.length) {
                throw new AssertionError("sequence " + i + ": " + shared.get(i).length + " shared and " + alone.length
                        + " alone logit rows, the CPU " + want.length);
            }
            for (int t = 0; t < want.length; t++) {
                float scale = 1;
                for (float v : want[t]) scale = Math.max(scale, Math.abs(v));
                worst[0] = worse(worst[0], maxDiff(shared.get(i)[t], alone[t]) / scale);
                worst[1] = worse(worst[1], maxDiff(shared.get(i)[t], want[t]) / scale);
                // greedy choice: the same shared as alone, unless the alone row's top two are a near-tie (fp16
                // rounding of a different batch may order those either way; the CPU's fp32 more so, so not asked)
                argmax[0] &= argmax(shared.get(i)[t]) == argmax(alone[t]) || topGap(alone[t]) <= NEAR_TIE * scale;
                counts[1]++;
            }
        }
    }

    /** The larger of two differences, NaN winning (a NaN must not hide behind Math.max's ordering). */
    private static double worse(double a, double b) { return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b); }

    private static double maxDiff(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) worst = worse(worst, Math.abs(a[i] - b[i]));
        return worst;
    }

    /** Top-two gaps at most this much (relative to the row's scale) are near-ties, whose order is not checked. */
    private static final double NEAR_TIE = 1e-4;

    private static double topGap(float[] v) {
        float first = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            if (x > first) {
                second = first;
                first = x;
            } else if (x > second) {
                second = x;
            }
        }
        return first - second;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** Every sequence keeps a random root-to-node chain from pending row 0 in all three views. */
    private static void keepRandomPaths(CudaTransformer gpu, List<Sequence> seqs, Random r) {
        for (Sequence s : seqs) {
            int[] path = randomPath(s.cpu, r);
            gpu.keep(s.shared, path);
            gpu.keep(s.alone, path);
            s.cpu.keep(path);
        }
    }

    private static int[] randomPath(KvCache cache, Random r) {
        int pending = cache.pending();
        while (true) {
            int node = r.nextInt(pending), root = node;
            while (cache.pendingParent(root) >= 0) root = cache.pendingParent(root);
            if (root != 0) continue; // a kept path starts at pending row 0
            java.util.ArrayDeque<Integer> path = new java.util.ArrayDeque<>();
            for (int v = node; v >= 0; v = cache.pendingParent(v)) path.addFirst(v);
            return path.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private static int[] randomTokens(int n, int vocab, Random r) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    /** A random tree of n rows, several roots possible (parents within the tree; -1: a root). */
    private static Rows tree(int n, int vocab, Random r) {
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) parents[i] = i == 0 ? -1 : r.nextInt(i + 1) - 1;
        return new Rows(randomTokens(n, vocab, r), parents, 0);
    }

    /** {@code tree}'s rows after {@code pendingBefore + 1} earlier pending rows, its roots under row {@code pendingBefore}. */
    private static Rows hangBelow(Rows tree, int lastPending) {
        int[] parents = new int[tree.parents().length];
        for (int i = 0; i < parents.length; i++) {
            int p = tree.parents()[i];
            parents[i] = p < 0 ? lastPending : lastPending + 1 + p;
        }
        return new Rows(tree.tokens(), parents, tree.logitsFrom());
    }

    /** A prompt chain fed ahead of a tree (roots under the chain's end), logits for the tree's rows only. */
    private static Rows withChainAhead(int[] chain, Rows tree, int pendingBefore) {
        int c = chain.length, n = tree.tokens().length;
        int[] tokens = new int[c + n], parents = new int[c + n];
        for (int i = 0; i < c; i++) {
            tokens[i] = chain[i];
            parents[i] = pendingBefore + i - 1;
        }
        for (int i = 0; i < n; i++) {
            tokens[c + i] = tree.tokens()[i];
            int p = tree.parents()[i];
            parents[c + i] = p < 0 ? pendingBefore + c - 1 : pendingBefore + c + p;
        }
        return new Rows(tokens, parents, c);
    }
}
