package dev.sequoia.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp on float vectors from additions, multiplications and FMAs only (Cephes' expf: round x/ln2 to n, a
 * degree-6 polynomial on the remainder, times 2^n built in the exponent bits), for the softmax of the
 * attention kernels. Unlike {@code lanewise(EXP)}, whose compiled (SVML) and interpreted (Math.exp per lane)
 * forms round differently, every step here is exact IEEE arithmetic, so a given input gives the same bits
 * in every JIT tier: a token's attention output cannot depend on when its kernel was compiled. Relative
 * error about 2 ulp. Inputs below ln(Float.MIN_NORMAL) ~ -87.34 (including -infinity) are clamped there,
 * so they give ~1.2e-38 rather than 0; callers that need exact zeros mask them. Stateless.
 */
final class VectorExp {
    private static final VectorSpecies<Float> F = VectorDequant.F;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: x + ROUND - ROUND rounds x to an integer
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float LOWEST = -87.33654f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    private VectorExp() {}

    /** e^x lane-wise on the kernels' species {@link VectorDequant#F}, for x at most 88 (softmax arguments are at most 0). */
    static FloatVector exp(FloatVector x) {
        x = x.max(LOWEST);
        FloatVector n = x.fma(LOG2E, ROUND).sub(ROUND);
        FloatVector r = n.fma(c(-LN2_HI), x);
        r = n.fma(c(-LN2_LO), r);
        FloatVector p = r.fma(P0, P1).fma(r, c(P2)).fma(r, c(P3)).fma(r, c(P4)).fma(r, c(P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector e = (IntVector) n.convert(VectorOperators.F2I, 0);
        return y.mul(e.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
    }

    /**
     * The scalar twin: the same steps in float arithmetic (Math.fma is exact), so it returns the bits of
     * any lane of {@link #exp(FloatVector)} for the same input; the online softmax's scalar factors use it.
     */
    static float exp(float x) {
        x = Math.max(x, LOWEST);
        float n = Math.fma(x, LOG2E, ROUND) - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P0, P1), r, P2), r, P3), r, P4), r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    private static FloatVector c(float value) {
        return FloatVector.broadcast(F, value);
    }
}
