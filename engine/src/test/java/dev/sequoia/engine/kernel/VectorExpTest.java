package dev.sequoia.engine.kernel;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link VectorExp} against Math.exp over the softmax range, its scalar twin bit for bit against the vector,
 * and its clamp below ln(Float.MIN_NORMAL).
 */
class VectorExpTest {
    private static final int L = VectorDequant.L;

    @Test
    void matchesMathExpWithinAFewUlps() {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] x = new float[L], y = new float[L];
        for (int it = 0; it < 20_000; it++) {
            for (int i = 0; i < L; i++) x[i] = it < 100 ? -87f * (it * L + i) / (100 * L) : (float) (rnd.nextDouble() * -87.3 + (it % 2) * 40);
            VectorExp.exp(FloatVector.fromArray(VectorDequant.F, x, 0)).intoArray(y, 0);
            for (int i = 0; i < L; i++) {
                if (Float.floatToIntBits(VectorExp.exp(x[i])) != Float.floatToIntBits(y[i])) {
                    fail("scalar exp(" + x[i] + ") = " + VectorExp.exp(x[i]) + ", vector lane " + y[i]);
                }
                double want = Math.exp(x[i]);
                if (!(Math.abs(y[i] - want) <= 4 * Math.ulp((float) want))) {
                    fail("exp(" + x[i] + "): expected " + want + ", got " + y[i]);
                }
            }
        }
    }

    @Test
    void zeroIsOneAndMinusInfinityIsClampedToTheSmallestNormal() {
        float[] x = new float[L], y = new float[L];
        x[1] = Float.NEGATIVE_INFINITY;
        x[2] = -1000f;
        VectorExp.exp(FloatVector.fromArray(VectorDequant.F, x, 0)).intoArray(y, 0);
        assertEquals(1f, y[0]);
        assertTrue(y[1] > 0 && y[1] < 1.3e-38f, "exp(-inf) clamped: " + y[1]);
        assertEquals(y[1], y[2]);
    }
}
