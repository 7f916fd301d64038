package dev.sequoia.engine.bench;

import dev.sequoia.engine.kernel.KernelPool;
import dev.sequoia.engine.kernel.TreeAttention;
import dev.sequoia.engine.kernel.VectorTreeAttention;
import dev.sequoia.engine.kv.KvCache;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Times one layer's tree attention alone ({@link VectorTreeAttention}) over random keys, values and queries:
 * n pending tokens (a complete binary tree, as the verify bench uses) after {@code rows} committed rows.
 * Reports the median milliseconds and GMAC/s, counting headDim multiply-adds for the score and headDim for
 * the value update of every (query head, visible row).
 *
 * <p>Usage: {@code AttentionBench heads kvHeads headDim threads iterations rows:n [rows:n ...]}, e.g.
 * {@code 32 4 64 2 15 512:1 512:16 4096:128} (tinyllama's attention shape).
 */
public final class AttentionBench {
    private AttentionBench() {}

    public static void main(String[] args) {
        if (args.length < 6) {
            throw new IllegalArgumentException("usage: AttentionBench heads kvHeads headDim threads iterations rows:n..., got "
                    + Arrays.toString(args));
        }
        int heads = Integer.parseInt(args[0]), kvHeads = Integer.parseInt(args[1]), headDim = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]), iterations = Integer.parseInt(args[4]);
        try (KernelPool pool = new KernelPool(threads)) {
            TreeAttention attention = new VectorTreeAttention(heads, kvHeads, headDim, pool);
            for (int a = 5; a < args.length; a++) {
                String[] rn = args[a].split(":");
                if (rn.length != 2) throw new IllegalArgumentException("expected rows:n, got '" + args[a] + "'");
                int rows = Integer.parseInt(rn[0]), n = Integer.parseInt(rn[1]);
                double ms = median(time(attention, heads, kvHeads, headDim, rows, n, iterations)) * 1e3;
                double macs = macs(heads, headDim, rows, n);
                System.out.printf("rows=%d n=%d heads=%d kvHeads=%d headDim=%d threads=%d: %.3f ms, %.1f GMAC/s%n",
                        rows, n, heads, kvHeads, headDim, threads, ms, macs / ms / 1e6);
            }
        }
    }

    /** Seconds of each of {@code iterations} attention calls, after warm-up calls for at least a second (JIT). */
    static double[] time(TreeAttention attention, int heads, int kvHeads, int headDim, int rows, int n, int iterations) {
        SplittableRandom rnd = new SplittableRandom(rows * 31L + n);
        int kvDim = kvHeads * headDim;
        KvCache cache = new KvCache(1, kvDim, rows + n);
        if (rows > 0) {
            int[] chain = new int[rows], path = new int[rows];
            for (int i = 0; i < rows; i++) {
                chain[i] = i - 1;
                path[i] = i;
            }
            cache.appendPending(chain);
            cache.keep(path);
        }
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) parents[i] = i == 0 ? -1 : (i - 1) / 2;
        int first = cache.appendPending(parents);
        fill(cache.keys(0), rnd, 2);
        fill(cache.values(0), rnd, 1);
        float[] q = new float[n * heads * headDim], out = new float[q.length];
        fill(q, rnd, 1);
        long warmEnd = System.nanoTime() + 1_000_000_000L;
        for (int it = 0; it < iterations || System.nanoTime() < warmEnd; it++) attention.attend(q, cache, 0, first, n, out);
        double[] seconds = new double[iterations];
        for (int it = 0; it < iterations; it++) {
            long t0 = System.nanoTime();
            attention.attend(q, cache, 0, first, n, out);
            seconds[it] = (System.nanoTime() - t0) / 1e9;
        }
        return seconds;
    }

    /** Multiply-adds of the scores and the value update, over the committed rows and the binary-tree ancestors. */
    static double macs(int heads, int headDim, int rows, int n) {
        long visible = 0;
        for (int i = 0; i < n; i++) visible += rows + 32 - Integer.numberOfLeadingZeros(i + 1);
        return 2.0 * heads * headDim * visible;
    }

    private static void fill(float[] a, SplittableRandom rnd, double range) {
        for (int i = 0; i < a.length; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * range);
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
