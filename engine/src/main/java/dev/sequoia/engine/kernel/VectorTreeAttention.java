package dev.sequoia.engine.kernel;

import dev.sequoia.engine.kv.KvCache;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Tree attention on the Vector API, spread over a {@link KernelPool}: the fast twin of the plain
 * {@link TreeAttention}, which stays the reference. When the head size is a multiple of the vector length,
 * tasks are (KV head, range of tokens) and run a flash-style online softmax, four queries at a time, over
 * blocks of committed rows whose keys are transposed once per block for all the task's queries (see
 * {@link OnlineSoftmax}). Otherwise one task per (pending token, KV head) serves the query heads of the
 * group with per-row dot products.
 *
 * <p>Both paths give a token the same bits whatever batch it comes in (verification and plain decoding
 * agree): a query's arithmetic never depends on the other queries, sums over lanes run in lane order, and
 * exp is the tier-independent {@link VectorExp} (vector or scalar twin), so JIT compilation does not change it.
 *
 * <p>Threading: called by the engine thread; per-worker score scratch is resized before the parallel loop
 * (whose start publishes it) and each worker touches only its own.
 */
public final class VectorTreeAttention extends TreeAttention {
    private static final VectorSpecies<Float> F = VectorDequant.F;
    private static final int L = F.length();

    private final KernelPool pool;
    private final float[][] scores;
    private final float[][] blocked;

    /** Uses {@code pool}'s threads; the pool's owner (usually a {@link VectorMatMul}) closes it. */
    public VectorTreeAttention(int heads, int kvHeads, int headDim, KernelPool pool) {
        super(heads, kvHeads, headDim);
        this.pool = pool;
        this.scores = new float[pool.threads()][];
        this.blocked = new float[pool.threads()][];
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
        int group = heads / kvHeads;
        float[] keys = cache.keys(layer), values = cache.values(layer);
        int kvDim = cache.kvDim();
        if (headDim % L == 0) {
            int chunks = Math.min(n, Math.max(1, (pool.threads() * 4 + kvHeads - 1) / kvHeads));
            int per = (n + chunks - 1) / chunks;
            int size = OnlineSoftmax.scratchSize(per * group, headDim);
            for (int w = 0; w < blocked.length; w++) {
                if (blocked[w] == null || blocked[w].length < size) blocked[w] = new float[size];
            }
            pool.forEach(kvHeads * chunks, (worker, task) -> {
                int g = task % kvHeads, t0 = task / kvHeads * per, t1 = Math.min(n, t0 + per);
                if (t0 < t1) {
                    new OnlineSoftmax(heads, headDim, group, q, keys, values, kvDim, g, committed, blocked[worker], out)
                            .run(t0, t1, pendingRows);
                }
            });
            return;
        }
        int stride = committed + longest;
        for (int w = 0; w < scores.length; w++) {
            if (scores[w] == null || scores[w].length < group * stride) scores[w] = new float[group * stride];
        }
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

    /** a[aOff..+headDim) . b[bOff..+headDim), lanes summed in order. */
    private float dot(float[] a, int aOff, float[] b, int bOff) {
        FloatVector acc = FloatVector.zero(F);
        int d = 0;
        for (int upper = F.loopBound(headDim); d < upper; d += L) {
            acc = FloatVector.fromArray(F, a, aOff + d).fma(FloatVector.fromArray(F, b, bOff + d), acc);
        }
        float sum = 0f;
        if (d > 0) for (int i = 0; i < L; i++) sum += acc.lane(i);
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
        i = 0;
        for (int upper = F.loopBound(len); i < upper; i += L) {
            VectorExp.exp(FloatVector.fromArray(F, s, off + i).sub(max)).intoArray(s, off + i);
        }
        for (; i < len; i++) s[off + i] = VectorExp.exp(s[off + i] - max);
        float total = 0f;
        for (i = 0; i < len; i++) total += s[off + i];
        return total;
    }
}
