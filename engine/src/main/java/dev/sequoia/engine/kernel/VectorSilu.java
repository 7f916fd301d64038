package dev.sequoia.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The feed-forward gate, {@code gate[i] = silu(gate[i]) * up[i]} with {@code silu(g) = g / (1 + e^-g)}, on the
 * Vector API with {@link VectorExp} (FMAs only, so the same bits in every JIT tier and in the scalar twin
 * {@link #siluMulScalar}). Replaces a scalar {@code Math.exp} loop that cost about 0.8 ms of a 65 ms
 * tinyllama decode token (5632 values x 22 layers). {@code e^-g} is taken at {@code min(-g, 88)}: beyond that
 * e^-g overflows float (VectorExp is exact only up to 88), and g / (1 + e^88) is already within 1e-36 of 0.
 */
public final class VectorSilu {
    private static final VectorSpecies<Float> F = VectorDequant.F;
    private static final float MAX_EXP_ARG = 88f;

    private VectorSilu() {}

    /** gate[0..len) = silu(gate) * up, lane by lane (the tail through the scalar twin, same bits). */
    public static void siluMul(float[] gate, float[] up, int len) {
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector e = VectorExp.exp(g.neg().min(MAX_EXP_ARG));
            g.div(e.add(1f)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        siluMulScalar(gate, up, i, len);
    }

    /** The scalar twin over [from, len). */
    public static void siluMulScalar(float[] gate, float[] up, int from, int len) {
        for (int i = from; i < len; i++) {
            float g = gate[i];
            gate[i] = g / (VectorExp.exp(Math.min(-g, MAX_EXP_ARG)) + 1f) * up[i];
        }
    }
}
