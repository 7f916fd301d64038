package dev.sequoia.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float register tiles of the GEMM: dot products of decoded weight rows (a small scratch block, hot in
 * L1) against token vectors, added into {@code out}. Stateless; each caller passes its own scratch.
 *
 * <p>Layouts: {@code w} holds {@link #ROWS} decoded rows of one column chunk, row i at {@code i * stride};
 * {@code x} is (n, cols) row-major and the chunk starts at column {@code c0}; {@code out} is (n, rows).
 */
final class GemmTile {
    /** Rows decoded and multiplied together. */
    static final int ROWS = 4;
    /** Tokens multiplied together in the wide tile. */
    static final int TOKENS = 4;
    private static final VectorSpecies<Float> F = VectorDequant.F;
    private static final int L = F.length();

    private GemmTile() {}

    /**
     * 4 rows x 4 tokens: W chunk (4, len) @ x[t0..t0+4, c0..c0+len)^T -> += out[t0..t0+4, r0..r0+4).
     * 16 accumulators, 8 loads per 16 FMAs.
     */
    static void rows4Tokens4(float[] w, int stride, int len, float[] x, int cols, int c0, int t0,
                             float[] out, int rows, int r0) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int x0 = t0 * cols + c0, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        int w1 = stride, w2 = 2 * stride, w3 = 3 * stride;
        int c = 0;
        for (int upper = F.loopBound(len); c < upper; c += L) {
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + c), v1 = FloatVector.fromArray(F, x, x1 + c);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + c), v3 = FloatVector.fromArray(F, x, x3 + c);
            FloatVector r = FloatVector.fromArray(F, w, c);
            a00 = r.fma(v0, a00); a01 = r.fma(v1, a01); a02 = r.fma(v2, a02); a03 = r.fma(v3, a03);
            r = FloatVector.fromArray(F, w, w1 + c);
            a10 = r.fma(v0, a10); a11 = r.fma(v1, a11); a12 = r.fma(v2, a12); a13 = r.fma(v3, a13);
            r = FloatVector.fromArray(F, w, w2 + c);
            a20 = r.fma(v0, a20); a21 = r.fma(v1, a21); a22 = r.fma(v2, a22); a23 = r.fma(v3, a23);
            r = FloatVector.fromArray(F, w, w3 + c);
            a30 = r.fma(v0, a30); a31 = r.fma(v1, a31); a32 = r.fma(v2, a32); a33 = r.fma(v3, a33);
        }
        int o0 = t0 * rows + r0, o1 = o0 + rows, o2 = o1 + rows, o3 = o2 + rows;
        out[o0] += sum(a00) + tail(w, 0, x, x0, c, len); out[o1] += sum(a01) + tail(w, 0, x, x1, c, len);
        out[o2] += sum(a02) + tail(w, 0, x, x2, c, len); out[o3] += sum(a03) + tail(w, 0, x, x3, c, len);
        out[o0 + 1] += sum(a10) + tail(w, w1, x, x0, c, len); out[o1 + 1] += sum(a11) + tail(w, w1, x, x1, c, len);
        out[o2 + 1] += sum(a12) + tail(w, w1, x, x2, c, len); out[o3 + 1] += sum(a13) + tail(w, w1, x, x3, c, len);
        out[o0 + 2] += sum(a20) + tail(w, w2, x, x0, c, len); out[o1 + 2] += sum(a21) + tail(w, w2, x, x1, c, len);
        out[o2 + 2] += sum(a22) + tail(w, w2, x, x2, c, len); out[o3 + 2] += sum(a23) + tail(w, w2, x, x3, c, len);
        out[o0 + 3] += sum(a30) + tail(w, w3, x, x0, c, len); out[o1 + 3] += sum(a31) + tail(w, w3, x, x1, c, len);
        out[o2 + 3] += sum(a32) + tail(w, w3, x, x2, c, len); out[o3 + 3] += sum(a33) + tail(w, w3, x, x3, c, len);
    }

    /**
     * 4 rows x 1 token (the decode shape): W chunk (4, len) @ x[t, c0..c0+len) -> += out[t, r0..r0+4).
     * Two accumulators per row keep eight FMA chains in flight.
     */
    static void rows4Token1(float[] w, int stride, int len, float[] x, int cols, int c0, int t,
                            float[] out, int rows, int r0) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int xb = t * cols + c0, w1 = stride, w2 = 2 * stride, w3 = 3 * stride;
        int c = 0;
        for (int upper = len - 2 * L; c <= upper; c += 2 * L) {
            FloatVector v = FloatVector.fromArray(F, x, xb + c), u = FloatVector.fromArray(F, x, xb + c + L);
            a0 = FloatVector.fromArray(F, w, c).fma(v, a0); b0 = FloatVector.fromArray(F, w, c + L).fma(u, b0);
            a1 = FloatVector.fromArray(F, w, w1 + c).fma(v, a1); b1 = FloatVector.fromArray(F, w, w1 + c + L).fma(u, b1);
            a2 = FloatVector.fromArray(F, w, w2 + c).fma(v, a2); b2 = FloatVector.fromArray(F, w, w2 + c + L).fma(u, b2);
            a3 = FloatVector.fromArray(F, w, w3 + c).fma(v, a3); b3 = FloatVector.fromArray(F, w, w3 + c + L).fma(u, b3);
        }
        for (int upper = F.loopBound(len); c < upper; c += L) {
            FloatVector v = FloatVector.fromArray(F, x, xb + c);
            a0 = FloatVector.fromArray(F, w, c).fma(v, a0);
            a1 = FloatVector.fromArray(F, w, w1 + c).fma(v, a1);
            a2 = FloatVector.fromArray(F, w, w2 + c).fma(v, a2);
            a3 = FloatVector.fromArray(F, w, w3 + c).fma(v, a3);
        }
        int o = t * rows + r0;
        out[o] += sum(a0.add(b0)) + tail(w, 0, x, xb, c, len);
        out[o + 1] += sum(a1.add(b1)) + tail(w, w1, x, xb, c, len);
        out[o + 2] += sum(a2.add(b2)) + tail(w, w2, x, xb, c, len);
        out[o + 3] += sum(a3.add(b3)) + tail(w, w3, x, xb, c, len);
    }

    /** 1 row x 1 token, for the rows left over after the 4-row blocks: w[0..len) . x[t, c0..] -> += out[t, r]. */
    static void row1Token1(float[] w, int len, float[] x, int cols, int c0, int t, float[] out, int rows, int r) {
        FloatVector a = FloatVector.zero(F), b = a;
        int xb = t * cols + c0;
        int c = 0;
        for (int upper = len - 2 * L; c <= upper; c += 2 * L) {
            a = FloatVector.fromArray(F, w, c).fma(FloatVector.fromArray(F, x, xb + c), a);
            b = FloatVector.fromArray(F, w, c + L).fma(FloatVector.fromArray(F, x, xb + c + L), b);
        }
        for (int upper = F.loopBound(len); c < upper; c += L) {
            a = FloatVector.fromArray(F, w, c).fma(FloatVector.fromArray(F, x, xb + c), a);
        }
        out[t * rows + r] += sum(a.add(b)) + tail(w, 0, x, xb, c, len);
    }

    private static float sum(FloatVector v) {
        return v.reduceLanes(VectorOperators.ADD);
    }

    /** The scalar remainder w[wOff+c..wOff+len) . x[xOff+c..xOff+len) (columns past the last full vector). */
    private static float tail(float[] w, int wOff, float[] x, int xOff, int from, int len) {
        float s = 0f;
        for (int c = from; c < len; c++) s += w[wOff + c] * x[xOff + c];
        return s;
    }
}
