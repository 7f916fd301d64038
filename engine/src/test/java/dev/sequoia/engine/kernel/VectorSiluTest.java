package dev.sequoia.engine.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/** {@link VectorSilu} against g / (1 + Math.exp(-g)) * up in double, and its vector lanes bit for bit against the scalar twin. */
class VectorSiluTest {
    @Test
    void matchesTheDefinitionAndItsScalarTwin() {
        SplittableRandom rnd = new SplittableRandom(11);
        int len = 5632 + 7; // a tail that is not a whole vector
        float[] gate = new float[len], up = new float[len];
        for (int i = 0; i < len; i++) {
            // the usual range, then extremes: e^-g overflowing float (g < -88) and saturating (g > 88)
            gate[i] = i < 5000 ? (float) (rnd.nextGaussian() * 4) : (float) ((rnd.nextDouble() - 0.5) * 400);
            up[i] = (float) rnd.nextGaussian();
        }
        float[] vector = gate.clone(), scalar = gate.clone();
        VectorSilu.siluMul(vector, up, len);
        VectorSilu.siluMulScalar(scalar, up, 0, len);
        for (int i = 0; i < len; i++) {
            if (Float.floatToIntBits(vector[i]) != Float.floatToIntBits(scalar[i])) {
                fail("lane " + i + ": vector " + vector[i] + ", scalar twin " + scalar[i]);
            }
            double g = gate[i], want = g / (1 + Math.exp(-g)) * up[i];
            if (!(Math.abs(vector[i] - want) <= 1e-6 * Math.abs(want) + 1e-30)) {
                fail("silu(" + g + ") * " + up[i] + ": expected " + want + ", got " + vector[i]);
            }
        }
    }
}
