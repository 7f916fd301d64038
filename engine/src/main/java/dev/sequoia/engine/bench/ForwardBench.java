package dev.sequoia.engine.bench;

import dev.sequoia.engine.kernel.KernelPool;
import dev.sequoia.engine.kernel.MatMul;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.kernel.VectorTreeAttention;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Times whole forward passes of a loaded model through {@link LlamaTransformer}: single-token decode, and
 * verification of n tree tokens after a committed prefix (attention included), on the fast kernels.
 */
public final class ForwardBench {
    private static final int PREFILL_CHUNK = 64;
    private final Model model;
    private final LlamaTransformer transformer;

    /** The fast path: {@code matMul}'s kernels and {@link VectorTreeAttention} on its thread pool. */
    public ForwardBench(Model model, VectorMatMul matMul) {
        this.model = model;
        this.transformer = LlamaTransformer.cpu(model, matMul);
    }

    /** Any GEMM kernels (the opt-in int8 activations, say) with {@link VectorTreeAttention} on {@code pool}. */
    public ForwardBench(Model model, MatMul matMul, KernelPool pool) {
        this.model = model;
        LlamaConfig c = model.config();
        this.transformer = new LlamaTransformer(c, model.weights(), matMul,
                new VectorTreeAttention(c.heads(), c.kvHeads(), c.headDim(), pool));
    }

    /** Bytes of weights one forward reads: every layer's projections and the classifier. */
    public long weightBytesPerToken() {
        long bytes = model.weights().classifier().byteSize();
        for (LayerWeights l : model.weights().layers()) bytes += l.projectionBytes();
        return bytes;
    }

    /** Median seconds per decoded token over {@code iterations} steps after two warm-up steps. */
    public double decodeSeconds(int iterations) {
        return median(decodeSteps(iterations, () -> {}));
    }

    /**
     * Single-token forwards run before any timing: with two, the first timed decode steps still ran code the
     * JIT had not finished compiling (tinyllama Q8_0: 9-13 tokens/s over 5 steps, 30-32 over 40).
     */
    static final int WARM_UP_STEPS = 20;

    /**
     * Seconds of each of {@code iterations} decode steps (after {@link #WARM_UP_STEPS} warm-up steps), running
     * {@code between} before each timed step (a bandwidth probe pass, say).
     */
    public double[] decodeSteps(int iterations, Runnable between) {
        KvCache cache = transformer.newCache(iterations + WARM_UP_STEPS + 1);
        double[] seconds = new double[iterations];
        for (int it = -WARM_UP_STEPS; it < iterations; it++) {
            if (it >= 0) between.run();
            long t0 = System.nanoTime();
            transformer.forward(cache, new int[] {1 + Math.floorMod(it, 7)}, new int[] {-1});
            cache.keep(new int[] {0});
            if (it >= 0) seconds[it] = (System.nanoTime() - t0) / 1e9;
        }
        return seconds;
    }

    /** The prefix actually used: {@code wanted}, or less when the context cannot hold it plus the largest batch. */
    public int prefixFor(int wanted, int largestBatch) {
        return Math.max(0, Math.min(wanted, model.config().contextLength() - largestBatch));
    }

    /**
     * Verification times after {@code prefix} committed tokens: for each batch size n, {@code iterations}
     * pairs of (one forward over a single token, one over n tree tokens, a complete binary tree), so that
     * t(n)/t(1) is taken between neighbouring measurements on this drifting machine.
     */
    public Map<Integer, VerifyTiming> verifySeconds(int prefix, int[] batchSizes, int iterations) {
        int largest = Arrays.stream(batchSizes).max().orElseThrow();
        KvCache cache = transformer.newCache(prefix + largest);
        for (int done = 0; done < prefix; done += PREFILL_CHUNK) {
            int m = Math.min(PREFILL_CHUNK, prefix - done);
            int[] chain = new int[m];
            for (int i = 0; i < m; i++) chain[i] = i - 1;
            transformer.forward(cache, tokens(m, done), chain);
            int[] path = new int[m];
            for (int i = 0; i < m; i++) path[i] = i;
            cache.keep(path);
        }
        for (int i = 0; i < WARM_UP_STEPS; i++) timeTree(cache, 1, 0); // the single-token path, JIT-compiled
        Map<Integer, VerifyTiming> result = new LinkedHashMap<>();
        for (int n : batchSizes) {
            timeTree(cache, n, 1); // warm-up of this shape
            double[] t1 = new double[iterations], tn = new double[iterations];
            for (int it = 0; it < iterations; it++) {
                t1[it] = timeTree(cache, 1, it + 2);
                tn[it] = timeTree(cache, n, it + 2);
            }
            result.put(n, VerifyTiming.of(t1, tn));
        }
        return result;
    }

    private double timeTree(KvCache cache, int n, int seed) {
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) parents[i] = i == 0 ? -1 : (i - 1) / 2;
        int[] toks = tokens(n, seed);
        long t0 = System.nanoTime();
        transformer.forward(cache, toks, parents);
        double s = (System.nanoTime() - t0) / 1e9;
        cache.truncatePending(0);
        return s;
    }

    private int[] tokens(int n, int seed) {
        int vocab = model.config().vocabSize();
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 1 + Math.floorMod(seed * 31 + i * 7, vocab - 1);
        return t;
    }

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
