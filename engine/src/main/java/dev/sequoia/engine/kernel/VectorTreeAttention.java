package dev.sequoia.engine.kernel;

import dev.sequoia.engine.kv.KvCache;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Tree attention on the Vector API, spread over a {@link KernelPool}: the fast twin of the plain
 * {@link TreeAttention}, which stays the reference. One task per (pending token, KV head): the query heads
 * that share the KV head (grouped-query attention) are served together, so each key and value row is read
 * once per group; scores, softmax (vector exp) and the weighted value sum are vectorised along the head.
 *
 * <p>Threading: called by the engine thread; per-worker score scratch is resized before the parallel loop
 * (whose start publishes it) and each worker touches only its own.
 */
public final class VectorTreeAttention extends TreeAttention {
    private static final VectorSpecies<Float> F = VectorDequant.F;
    private static final int L = F.length();

    private final KernelPool pool;
    private final float[][] scores;

    /** Uses {@code pool}'s threads; the pool's owner (usually a {@link VectorMatMul}) closes it. */
    public VectorTreeAttention(int heads, int kvHeads, int headDim, KernelPool pool) {
        super(heads, kvHeads, headDim);
        this.pool = pool;
        this.scores = new float[pool.threads()][];
    }

    @Override
    public void attend(float[] q, KvCache cache, int layer, int firstPending, int n, float[] out) {
        int committed = cache.committed();
        int[][] pendingRows = new int[n][];
        int longest = 0;
        for (int t = 0; t < n; t++) {
            int[] path = cache.visiblePending(firstPending + t);
            for (int i = 0; i < path.length; i++) path[i] = cache.pendingRow(path[i]);
            pendingRows[t] = path;
            longest = Math.max(longest, path.length);
        }
        int stride = committed + longest;
        int group = heads / kvHeads;
        for (int w = 0; w < scores.length; w++) {
            if (scores[w] == null || scores[w].length < group * stride) scores[w] = new float[group * stride];
        }
        float[] keys = cache.keys(layer), values = cache.values(layer);
        int kvDim = cache.kvDim();
        pool.forEach(n * kvHeads, (worker, task) -> {
            int t = task / kvHeads, g = task % kvHeads;
            attendGroup(q, keys, values, kvDim, t, g, committed, pendingRows[t], stride, scores[worker], out);
        });
    }

    /**
     * Query heads g*group .. (g+1)*group-1 of token t over the rows it sees: committed rows 0..committed-1,
     * then {@code pending} (cache rows). q, out (n, heads*headDim); keys, values (rows, kvDim).
     */
    private void attendGroup(float[] q, float[] keys, float[] values, int kvDim, int t, int g, int committed,
                             int[] pending, int stride, float[] s, float[] out) {
        int group = heads / kvHeads;
        int rows = committed + pending.length;
        int kvOff = g * headDim;
        int qBase = t * heads * headDim + g * group * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int i = 0; i < rows; i++) {
            int kBase = (i < committed ? i : pending[i - committed]) * kvDim + kvOff;
            for (int h = 0; h < group; h++) s[h * stride + i] = dot(q, qBase + h * headDim, keys, kBase) * scale;
        }
        for (int h = 0; h < group; h++) {
            float inv = 1f / softmaxNumerators(s, h * stride, rows);
            int oBase = qBase + h * headDim;
            for (int d = 0; d < headDim; d++) out[oBase + d] = 0f;
            for (int i = 0; i < rows; i++) {
                int vBase = (i < committed ? i : pending[i - committed]) * kvDim + kvOff;
                axpy(s[h * stride + i] * inv, values, vBase, out, oBase);
            }
        }
    }

    /** a[aOff..+headDim) . b[bOff..+headDim). */
    private float dot(float[] a, int aOff, float[] b, int bOff) {
        FloatVector acc = FloatVector.zero(F);
        int d = 0;
        for (int upper = F.loopBound(headDim); d < upper; d += L) {
            acc = FloatVector.fromArray(F, a, aOff + d).fma(FloatVector.fromArray(F, b, bOff + d), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; d < headDim; d++) sum += a[aOff + d] * b[bOff + d];
        return sum;
    }

    /** y[yOff..+headDim) += a * x[xOff..+headDim). */
    private void axpy(float a, float[] x, int xOff, float[] y, int yOff) {
        FloatVector va = FloatVector.broadcast(F, a);
        int d = 0;
        for (int upper = F.loopBound(headDim); d < upper; d += L) {
            FloatVector.fromArray(F, x, xOff + d).fma(va, FloatVector.fromArray(F, y, yOff + d)).intoArray(y, yOff + d);
        }
        for (; d < headDim; d++) y[yOff + d] += a * x[xOff + d];
    }

    /** s[off..off+len) <- exp(s - max), returning their sum (the softmax denominator). */
    private static float softmaxNumerators(float[] s, int off, int len) {
        float max = Float.NEGATIVE_INFINITY;
        int i = 0;
        if (len >= L) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (int upper = F.loopBound(len); i < upper; i += L) m = m.max(FloatVector.fromArray(F, s, off + i));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < len; i++) max = Math.max(max, s[off + i]);
        FloatVector sum = FloatVector.zero(F);
        i = 0;
        for (int upper = F.loopBound(len); i < upper; i += L) {
            FloatVector e = FloatVector.fromArray(F, s, off + i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(s, off + i);
            sum = sum.add(e);
        }
        float total = sum.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            s[off + i] = (float) Math.exp(s[off + i] - max);
            total += s[off + i];
        }
        return total;
    }
}
