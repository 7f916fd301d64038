package dev.sequoia.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Flash-style tree attention of one task of {@link VectorTreeAttention}: tokens [t0, t1) x the query heads
 * of one KV head, for head sizes that are a multiple of the vector length L.
 *
 * <p>Committed rows go in blocks of {@link #BLOCK} = 4L rows aligned to absolute row 0; each block's keys are
 * transposed once into four (headDim, L) tiles shared by all the task's queries. Queries go four at a time
 * (consecutive queries: heads of a token, then the next token): the 4 x 4L scores are a register-blocked
 * product (per d: four tile loads, four broadcasts, sixteen FMAs), the online softmax (running max m,
 * denominator kept lane-wise, unnormalised output) rescales a query's state once per block, and P.V loads
 * each value vector once for the four queries, whose outputs stay in registers over the block's rows (four
 * vectors of each, 16 registers; larger heads go 4L columns at a time). Each token's pending ancestors
 * follow one row at a time. A task with a query count not divisible by four repeats its last query into a
 * scratch state that is never written out.
 *
 * <p>Reproducibility: a query's arithmetic (block boundaries, FMA order, the tier-independent
 * {@link VectorExp} and its scalar twin, fixed-order lane sums) does not depend on the other queries of
 * the task nor on how tokens are split into tasks, so a token's output is the same bits whatever batch it
 * is verified in.
 *
 * <p>Scratch layout (one array per worker, at least {@link #scratchSize}): the four key tiles, 4 x BLOCK
 * probabilities, L lanes (the quad's rescale factors during a block, a dot product's lanes afterwards), then
 * per padded query a state {acc[headDim], l[L], m}.
 */
final class OnlineSoftmax {
    private static final VectorSpecies<Float> F = VectorDequant.F;
    private static final int L = F.length();
    /** Queries register-blocked together. */
    static final int QUAD = 4;
    /** Committed rows per online-softmax step. */
    static final int BLOCK = 4 * L;

    private final float[] q, keys, values, s, out;
    private final int heads, headDim, group, kvDim, kvOff, committed, stateSize, tile, sub, probs, lanes, states;
    private final float scale;

    OnlineSoftmax(int heads, int headDim, int group, float[] q, float[] keys, float[] values, int kvDim, int g,
                  int committed, float[] scratch, float[] out) {
        this.heads = heads;
        this.headDim = headDim;
        this.group = group;
        this.q = q;
        this.keys = keys;
        this.values = values;
        this.out = out;
        this.s = scratch;
        this.kvDim = kvDim;
        this.kvOff = g * headDim;
        this.committed = committed;
        this.stateSize = headDim + L + 1;
        this.sub = headDim * L;
        this.tile = 0;
        this.probs = tile + 4 * sub;
        this.lanes = probs + QUAD * BLOCK;
        this.states = lanes + L;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    /** Floats of scratch a task of {@code queries} queries needs. */
    static int scratchSize(int queries, int headDim) {
        int padded = (queries + QUAD - 1) / QUAD * QUAD;
        return 4 * headDim * L + QUAD * BLOCK + L + padded * (headDim + L + 1);
    }

    /** out rows of tokens [t0, t1) for this KV head; pendingRows[t] are token t's visible pending cache rows. */
    void run(int t0, int t1, int[][] pendingRows) {
        int queries = (t1 - t0) * group;
        int padded = (queries + QUAD - 1) / QUAD * QUAD;
        int[] qOff = new int[padded];
        for (int j = 0; j < padded; j++) {
            int jj = Math.min(j, queries - 1), t = t0 + jj / group, h = kvOff / headDim * group + jj % group;
            qOff[j] = t * heads * headDim + h * headDim;
            int st = states + j * stateSize;
            java.util.Arrays.fill(s, st, st + headDim + L, 0f);
            s[st + headDim + L] = Float.NEGATIVE_INFINITY;
        }
        for (int b0 = 0; b0 < committed; b0 += BLOCK) {
            int rows = Math.min(BLOCK, committed - b0);
            transposeKeys(b0, rows);
            for (int j = 0; j < padded; j += QUAD) {
                quadScores(j, qOff, rows);
                valueUpdate(j, b0, rows);
            }
        }
        for (int j = 0; j < queries; j++) {
            int[] pending = pendingRows[t0 + j / group];
            pendingRowsAndFinish(states + j * stateSize, qOff[j], pending);
        }
    }

    /** tile[(k*headDim + d)*L + i] = K[b0 + k*L + i][kvOff + d]; rows past the block's end read as zero. */
    private void transposeKeys(int b0, int rows) {
        for (int r = 0; r < BLOCK; r++) {
            int dst = tile + (r / L) * sub + r % L;
            if (r < rows) {
                int base = (b0 + r) * kvDim + kvOff;
                for (int d = 0; d < headDim; d++) s[dst + d * L] = keys[base + d];
            } else {
                for (int d = 0; d < headDim; d++) s[dst + d * L] = 0f;
            }
        }
    }

    /**
     * Scores of queries j..j+3 against the block (4 x 4L, in 16 registers) into the probs area, then each
     * query's softmax step.
     */
    private void quadScores(int j, int[] qOff, int rows) {
        int qa = qOff[j], qb = qOff[j + 1], qc = qOff[j + 2], qd = qOff[j + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
        for (int d = 0, k = tile; d < headDim; d++, k += L) {
            FloatVector k0 = FloatVector.fromArray(F, s, k), k1 = FloatVector.fromArray(F, s, k + sub);
            FloatVector k2 = FloatVector.fromArray(F, s, k + 2 * sub), k3 = FloatVector.fromArray(F, s, k + 3 * sub);
            FloatVector x = FloatVector.broadcast(F, q[qa + d]);
            a0 = k0.fma(x, a0); a1 = k1.fma(x, a1); a2 = k2.fma(x, a2); a3 = k3.fma(x, a3);
            x = FloatVector.broadcast(F, q[qb + d]);
            b0 = k0.fma(x, b0); b1 = k1.fma(x, b1); b2 = k2.fma(x, b2); b3 = k3.fma(x, b3);
            x = FloatVector.broadcast(F, q[qc + d]);
            c0 = k0.fma(x, c0); c1 = k1.fma(x, c1); c2 = k2.fma(x, c2); c3 = k3.fma(x, c3);
            x = FloatVector.broadcast(F, q[qd + d]);
            d0 = k0.fma(x, d0); d1 = k1.fma(x, d1); d2 = k2.fma(x, d2); d3 = k3.fma(x, d3);
        }
        int p = probs;
        a0.intoArray(s, p); a1.intoArray(s, p + L); a2.intoArray(s, p + 2 * L); a3.intoArray(s, p + 3 * L);
        p += BLOCK;
        b0.intoArray(s, p); b1.intoArray(s, p + L); b2.intoArray(s, p + 2 * L); b3.intoArray(s, p + 3 * L);
        p += BLOCK;
        c0.intoArray(s, p); c1.intoArray(s, p + L); c2.intoArray(s, p + 2 * L); c3.intoArray(s, p + 3 * L);
        p += BLOCK;
        d0.intoArray(s, p); d1.intoArray(s, p + L); d2.intoArray(s, p + 2 * L); d3.intoArray(s, p + 3 * L);
        for (int slot = 0; slot < QUAD; slot++) softmaxStep(states + (j + slot) * stateSize, slot, rows);
    }

    /**
     * One query's online softmax over a block, on its 4L raw scores in s[p..p+4L) (p = probs + slot*BLOCK):
     * new max m, the scores replaced by p = exp(score*scale - m) (zero past the block's rows), l = l*c + p
     * lane-wise; the factor c = exp(mOld - m) that its acc still needs goes to s[lanes + slot] for
     * {@link #valueUpdate}.
     */
    private void softmaxStep(int st, int slot, int rows) {
        int p = probs + slot * BLOCK;
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int k = 0; k < BLOCK; k += L) {
            FloatVector x = FloatVector.fromArray(F, s, p + k).mul(scale);
            if (k + L > rows) x = x.blend(Float.NEGATIVE_INFINITY, F.indexInRange(k, rows).not());
            x.intoArray(s, p + k);
            max = max.max(x);
        }
        int mSlot = st + headDim + L;
        float mOld = s[mSlot];
        float mNew = Math.max(mOld, max.reduceLanes(VectorOperators.MAX));
        FloatVector sum = FloatVector.zero(F);
        for (int k = 0; k < BLOCK; k += L) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(F, s, p + k).sub(mNew));
            if (k + L > rows) e = e.blend(0f, F.indexInRange(k, rows).not());
            e.intoArray(s, p + k);
            sum = sum.add(e);
        }
        float c = VectorExp.exp(mOld - mNew); // ~1e-38 on the first block, whose old state is all zeros
        s[mSlot] = mNew;
        FloatVector.fromArray(F, s, st + headDim).mul(c).add(sum).intoArray(s, st + headDim);
        s[lanes + slot] = c;
    }

    /** acc of queries j..j+3 = acc * c + sum_i p_i v_i over the block's rows. */
    private void valueUpdate(int j, int b0, int rows) {
        int c = 0;
        for (; c + 4 * L <= headDim; c += 4 * L) quadValues4(j, b0, rows, c);
        for (; c < headDim; c += L) quadValues1(j, b0, rows, c);
    }

    /** Columns c..c+4L of the four queries' outputs held in 16 registers over the rows. */
    private void quadValues4(int j, int b0, int rows, int c) {
        int sa = states + j * stateSize + c, sb = sa + stateSize, sc = sb + stateSize, sd = sc + stateSize;
        float fa = s[lanes], fb = s[lanes + 1], fc = s[lanes + 2], fd = s[lanes + 3];
        FloatVector a0 = load(sa, fa), a1 = load(sa + L, fa), a2 = load(sa + 2 * L, fa), a3 = load(sa + 3 * L, fa);
        FloatVector b0v = load(sb, fb), b1 = load(sb + L, fb), b2 = load(sb + 2 * L, fb), b3 = load(sb + 3 * L, fb);
        FloatVector c0 = load(sc, fc), c1 = load(sc + L, fc), c2 = load(sc + 2 * L, fc), c3 = load(sc + 3 * L, fc);
        FloatVector d0 = load(sd, fd), d1 = load(sd + L, fd), d2 = load(sd + 2 * L, fd), d3 = load(sd + 3 * L, fd);
        int pa = probs, pb = pa + BLOCK, pc = pb + BLOCK, pd = pc + BLOCK;
        for (int i = 0, v = b0 * kvDim + kvOff + c; i < rows; i++, v += kvDim) {
            FloatVector v0 = FloatVector.fromArray(F, values, v), v1 = FloatVector.fromArray(F, values, v + L);
            FloatVector v2 = FloatVector.fromArray(F, values, v + 2 * L), v3 = FloatVector.fromArray(F, values, v + 3 * L);
            FloatVector x = FloatVector.broadcast(F, s[pa + i]);
            a0 = v0.fma(x, a0); a1 = v1.fma(x, a1); a2 = v2.fma(x, a2); a3 = v3.fma(x, a3);
            x = FloatVector.broadcast(F, s[pb + i]);
            b0v = v0.fma(x, b0v); b1 = v1.fma(x, b1); b2 = v2.fma(x, b2); b3 = v3.fma(x, b3);
            x = FloatVector.broadcast(F, s[pc + i]);
            c0 = v0.fma(x, c0); c1 = v1.fma(x, c1); c2 = v2.fma(x, c2); c3 = v3.fma(x, c3);
            x = FloatVector.broadcast(F, s[pd + i]);
            d0 = v0.fma(x, d0); d1 = v1.fma(x, d1); d2 = v2.fma(x, d2); d3 = v3.fma(x, d3);
        }
        a0.intoArray(s, sa); a1.intoArray(s, sa + L); a2.intoArray(s, sa + 2 * L); a3.intoArray(s, sa + 3 * L);
        b0v.intoArray(s, sb); b1.intoArray(s, sb + L); b2.intoArray(s, sb + 2 * L); b3.intoArray(s, sb + 3 * L);
        c0.intoArray(s, sc); c1.intoArray(s, sc + L); c2.intoArray(s, sc + 2 * L); c3.intoArray(s, sc + 3 * L);
        d0.intoArray(s, sd); d1.intoArray(s, sd + L); d2.intoArray(s, sd + 2 * L); d3.intoArray(s, sd + 3 * L);
    }

    /** Columns c..c+L of the four queries' outputs (the rest of a head size that is not a multiple of 4L). */
    private void quadValues1(int j, int b0, int rows, int c) {
        int sa = states + j * stateSize + c, sb = sa + stateSize, sc = sb + stateSize, sd = sc + stateSize;
        FloatVector a = load(sa, s[lanes]), b = load(sb, s[lanes + 1]), cc = load(sc, s[lanes + 2]), d = load(sd, s[lanes + 3]);
        int pa = probs, pb = pa + BLOCK, pc = pb + BLOCK, pd = pc + BLOCK;
        for (int i = 0, v = b0 * kvDim + kvOff + c; i < rows; i++, v += kvDim) {
            FloatVector vi = FloatVector.fromArray(F, values, v);
            a = vi.fma(FloatVector.broadcast(F, s[pa + i]), a);
            b = vi.fma(FloatVector.broadcast(F, s[pb + i]), b);
            cc = vi.fma(FloatVector.broadcast(F, s[pc + i]), cc);
            d = vi.fma(FloatVector.broadcast(F, s[pd + i]), d);
        }
        a.intoArray(s, sa);
        b.intoArray(s, sb);
        cc.intoArray(s, sc);
        d.intoArray(s, sd);
    }

    private FloatVector load(int off, float factor) {
        return FloatVector.fromArray(F, s, off).mul(factor);
    }

    /**
     * After the committed blocks: the lane-wise denominator summed in lane order, then the token's pending
     * rows one at a time, then out = acc / l.
     */
    private void pendingRowsAndFinish(int st, int qo, int[] pending) {
        float l = 0f;
        for (int i = 0; i < L; i++) l += s[st + headDim + i];
        float m = s[st + headDim + L];
        for (int row : pending) {
            int k = row * kvDim + kvOff;
            FloatVector dot = FloatVector.zero(F);
            for (int d = 0; d < headDim; d += L) {
                dot = FloatVector.fromArray(F, q, qo + d).fma(FloatVector.fromArray(F, keys, k + d), dot);
            }
            dot.intoArray(s, lanes);
            float score = 0f;
            for (int i = 0; i < L; i++) score += s[lanes + i];
            score *= scale;
            float mNew = Math.max(m, score);
            float c = VectorExp.exp(m - mNew), p = VectorExp.exp(score - mNew);
            m = mNew;
            l = l * c + p;
            FloatVector vp = FloatVector.broadcast(F, p);
            for (int d = 0; d < headDim; d += L) {
                FloatVector.fromArray(F, values, k + d).fma(vp, load(st + d, c)).intoArray(s, st + d);
            }
        }
        float inv = 1f / l;
        for (int d = 0; d < headDim; d += L) load(st + d, inv).intoArray(out, qo + d);
    }
}
