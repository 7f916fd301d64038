package dev.sequoia.engine.kernel;

import dev.sequoia.engine.kv.KvCache;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Tree attention on the Vector API, spread over a {@link KernelPool}: the fast twin of the plain
 * {@link TreeAttention}, which stays the reference. When the head size is a multiple of the vector length,
 * tasks are (KV head, range of tokens) and run a flash-style online softmax over blocks of committed rows
 * whose keys are transposed once per block for all the task's queries (see {@link OnlineSoftmax}). Otherwise
 * one task per (pending token, KV head) serves the query heads of the group with per-row dot products.
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
        int stride = committed + longest;
        int group = heads / kvHeads;
        for (int w = 0; w < scores.length; w++) {
            if (scores[w] == null || scores[w].length < group * stride) scores[w] = new float[group * stride];
        }
        float[] keys = cache.keys(layer), values = cache.values(layer);
        int kvDim = cache.kvDim();
        if (headDim % L == 0) {
            int chunks = Math.min(n, Math.max(1, (pool.threads() * 4 + kvHeads - 1) / kvHeads));
            int per = (n + chunks - 1) / chunks;
            int states = per * group * (headDim + 2);
            for (int w = 0; w < blocked.length; w++) {
                if (blocked[w] == null || blocked[w].length < states + headDim * L + L) {
                    blocked[w] = new float[states + headDim * L + L];
                }
            }
            pool.forEach(kvHeads * chunks, (worker, task) -> {
                int g = task % kvHeads, t0 = task / kvHeads * per, t1 = Math.min(n, t0 + per);
                if (t0 < t1) {
                    new OnlineSoftmax(q, keys, values, kvDim, g, committed, blocked[worker], out).run(t0, t1, pendingRows);
                }
            });
            return;
        }
        pool.forEach(n * kvHeads, (worker, task) -> {
            int t = task / kvHeads, g = task % kvHeads;
            attendGroup(q, keys, values, kvDim, t, g, committed, pendingRows[t], stride, scores[worker], out);
        });
    }

    /**
     * Flash-style attention of tokens [t0, t1) x the query heads of KV head g: the committed rows are
     * taken L at a time, their keys transposed once into a (headDim, L) tile shared by every query of the
     * task, so that L scores come from headDim broadcast FMAs with no horizontal sums; softmax runs online
     * (running max m, denominator l, unnormalised output per query). Each token's pending ancestors follow
     * one at a time. Scratch layout: per query (m, l, acc[headDim]), then the key tile, then L probabilities.
     */
    private final class OnlineSoftmax {
        private final float[] q, keys, values, s, out;
        private final int kvDim, kvOff, committed, group, stateSize, tile, probs;
        private final float scale = (float) (1.0 / Math.sqrt(headDim));

        OnlineSoftmax(float[] q, float[] keys, float[] values, int kvDim, int g, int committed, float[] scratch,
                      float[] out) {
            this.q = q;
            this.out = out;
            this.keys = keys;
            this.values = values;
            this.s = scratch;
            this.kvDim = kvDim;
            this.kvOff = g * headDim;
            this.committed = committed;
            this.group = heads / kvHeads;
            this.stateSize = headDim + 2;
            this.tile = scratch.length - headDim * L - L;
            this.probs = scratch.length - L;
        }

        void run(int t0, int t1, int[][] pendingRows) {
            int queries = (t1 - t0) * group;
            for (int j = 0; j < queries; j++) {
                int st = j * stateSize;
                s[st] = Float.NEGATIVE_INFINITY;
                s[st + 1] = 0f;
                java.util.Arrays.fill(s, st + 2, st + stateSize, 0f);
            }
            for (int b0 = 0; b0 < committed; b0 += L) {
                int rows = Math.min(L, committed - b0);
                transposeKeys(b0, rows);
                for (int j = 0; j < queries; j++) blockUpdate(j, qOffset(t0, j), b0, rows);
            }
            for (int j = 0; j < queries; j++) {
                int t = t0 + j / group;
                for (int row : pendingRows[t]) rowUpdate(j, qOffset(t0, j), row);
                finish(j, qOffset(t0, j));
            }
        }

        private int qOffset(int t0, int j) {
            int t = t0 + j / group, h = kvOff / headDim * group + j % group;
            return t * heads * headDim + h * headDim;
        }

        /** tile[d * L + i] = K[b0 + i][kvOff + d]; missing rows read as zero (their scores are masked). */
        private void transposeKeys(int b0, int rows) {
            for (int i = 0; i < L; i++) {
                int base = (b0 + i) * kvDim + kvOff;
                for (int d = 0; d < headDim; d++) s[tile + d * L + i] = i < rows ? keys[base + d] : 0f;
            }
        }

        /** Scores of query j against rows b0..b0+rows-1 from the key tile, then the online softmax update. */
        private void blockUpdate(int j, int qOff, int b0, int rows) {
            // Four accumulators over d keep four FMA chains in flight.
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int d = 0;
            for (; d + 4 <= headDim; d += 4) {
                a0 = FloatVector.fromArray(F, s, tile + d * L).fma(FloatVector.broadcast(F, q[qOff + d]), a0);
                a1 = FloatVector.fromArray(F, s, tile + (d + 1) * L).fma(FloatVector.broadcast(F, q[qOff + d + 1]), a1);
                a2 = FloatVector.fromArray(F, s, tile + (d + 2) * L).fma(FloatVector.broadcast(F, q[qOff + d + 2]), a2);
                a3 = FloatVector.fromArray(F, s, tile + (d + 3) * L).fma(FloatVector.broadcast(F, q[qOff + d + 3]), a3);
            }
            for (; d < headDim; d++) a0 = FloatVector.fromArray(F, s, tile + d * L).fma(FloatVector.broadcast(F, q[qOff + d]), a0);
            FloatVector acc = a0.add(a1).add(a2.add(a3)).mul(scale);
            if (rows < L) acc = acc.blend(Float.NEGATIVE_INFINITY, F.indexInRange(0, rows).not());
            int st = j * stateSize;
            float mOld = s[st], mNew = Math.max(mOld, acc.reduceLanes(VectorOperators.MAX));
            FloatVector p = acc.sub(mNew).lanewise(VectorOperators.EXP);
            rescale(st, mOld, mNew);
            s[st + 1] += p.reduceLanes(VectorOperators.ADD);
            p.intoArray(s, probs);
            // out += sum_i p_i v_i, one output vector at a time held in registers over the block's rows.
            for (int c = 0; c < headDim; c += L) {
                FloatVector even = FloatVector.fromArray(F, s, st + 2 + c), odd = FloatVector.zero(F);
                int i = 0;
                for (; i + 2 <= rows; i += 2) {
                    even = FloatVector.fromArray(F, values, (b0 + i) * kvDim + kvOff + c).fma(FloatVector.broadcast(F, s[probs + i]), even);
                    odd = FloatVector.fromArray(F, values, (b0 + i + 1) * kvDim + kvOff + c).fma(FloatVector.broadcast(F, s[probs + i + 1]), odd);
                }
                if (i < rows) even = FloatVector.fromArray(F, values, (b0 + i) * kvDim + kvOff + c).fma(FloatVector.broadcast(F, s[probs + i]), even);
                even.add(odd).intoArray(s, st + 2 + c);
            }
        }

        /** One more visible row (a pending ancestor or the token itself). */
        private void rowUpdate(int j, int qOff, int row) {
            float score = dot(q, qOff, keys, row * kvDim + kvOff) * scale;
            int st = j * stateSize;
            float mOld = s[st], mNew = Math.max(mOld, score);
            rescale(st, mOld, mNew);
            float p = (float) Math.exp(score - mNew);
            s[st + 1] += p;
            axpy(p, values, row * kvDim + kvOff, s, st + 2);
        }

        private void rescale(int st, float mOld, float mNew) {
            s[st] = mNew;
            if (mOld == mNew || mOld == Float.NEGATIVE_INFINITY) return;
            float c = (float) Math.exp(mOld - mNew);
            s[st + 1] *= c;
            for (int d = 0; d < headDim; d += L) {
                FloatVector.fromArray(F, s, st + 2 + d).mul(c).intoArray(s, st + 2 + d);
            }
        }

        private void finish(int j, int qOff) {
            int st = j * stateSize;
            float inv = 1f / s[st + 1];
            for (int d = 0; d < headDim; d += L) {
                FloatVector.fromArray(F, s, st + 2 + d).mul(inv).intoArray(out, qOff + d);
            }
        }
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
