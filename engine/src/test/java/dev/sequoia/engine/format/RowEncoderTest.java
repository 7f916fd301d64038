package dev.sequoia.engine.format;

import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The writers' encoders against the engine's scalar decoder (ScalarMatMul.dequantizeRow). */
class RowEncoderTest {
    private static float[] roundTrip(float[] row, TensorType type) {
        ByteBuffer buf = ByteBuffer.allocate((int) type.byteSize(row.length)).order(ByteOrder.LITTLE_ENDIAN);
        RowEncoder.encode(row, type, buf);
        assertEquals(0, buf.remaining(), "encoder fills exactly byteSize bytes");
        float[] out = new float[row.length];
        new ScalarMatMul().dequantizeRow(new WeightMatrix("t", type, 1, row.length, MemorySegment.ofArray(buf.array())),
                0, out, 0);
        return out;
    }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void f32IsExact() {
        float[] x = random(96, 1);
        assertArrayEquals(x, roundTrip(x, TensorType.F32));
    }

    @Test
    void f16AndBf16AreWithinHalfAnUlpOfTheirPrecision() {
        float[] x = random(256, 2);
        float[] h = roundTrip(x, TensorType.F16), b = roundTrip(x, TensorType.BF16);
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], h[i], Math.abs(x[i]) * 0x1p-11 + 0x1p-25, "f16 " + i);
            assertEquals(x[i], b[i], Math.abs(x[i]) * 0x1p-8, "bf16 " + i);
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        // 1 + 2^-8 lies exactly between two bf16 values (1 and 1 + 2^-7): even mantissa (1) wins
        assertEquals(1f, ScalarMatMul.bf16ToFloat(RowEncoder.toBf16(1f + 0x1p-8f)));
        // 1 + 3 * 2^-8 lies between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up to the even one
        assertEquals(1f + 0x1p-6f, ScalarMatMul.bf16ToFloat(RowEncoder.toBf16(1f + 3 * 0x1p-8f)));
        assertEquals(1f + 0x1p-7f, ScalarMatMul.bf16ToFloat(RowEncoder.toBf16(1f + 0x1p-7f + 0x1p-10f)));
    }

    @Test
    void q8IsExactOnItsGridAndWithinHalfAStepOffIt() {
        float[] exact = new float[32];
        for (int i = 0; i < 32; i++) exact[i] = (i % 2 == 0 ? 127 : -64) * 0.5f; // d = 0.5 exactly
        assertArrayEquals(exact, roundTrip(exact, TensorType.Q8_0));
        float[] x = random(128, 3), y = roundTrip(x, TensorType.Q8_0);
        for (int b = 0; b < 4; b++) {
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[b * 32 + i]));
            for (int i = 0; i < 32; i++) assertEquals(x[b * 32 + i], y[b * 32 + i], amax / 127 * 0.51 + 1e-3 * amax);
        }
    }

    @Test
    void q4MapsTheLargestMagnitudeExactlyAndOthersWithinOneStep() {
        float[] x = random(64, 4), y = roundTrip(x, TensorType.Q4_0);
        for (int b = 0; b < 2; b++) {
            float amax = 0;
            int at = 0;
            for (int i = 0; i < 32; i++) {
                float magnitude = Math.abs(x[b * 32 + i]); // a max search, not a tolerance check
                if (magnitude > amax) {
                    amax = magnitude;
                    at = b * 32 + i;
                }
            }
            assertEquals(x[at], y[at], amax * 1e-3, "the extreme value is quant 0 times d");
            for (int i = 0; i < 32; i++) assertEquals(x[b * 32 + i], y[b * 32 + i], amax / 8 * 0.51 + amax * 1e-3);
        }
    }

    @Test
    void q8RoundsExactHalvesAwayFromZeroAsGgml() {
        float[] x = new float[32];
        float[] halves = {2.5f, -2.5f, 0.5f, -0.5f, 1.5f, -1.5f, 126.5f, -126.5f};
        int[] ggml = {3, -3, 1, -1, 2, -2, 127, -127};
        System.arraycopy(halves, 0, x, 0, halves.length);
        x[31] = 127f; // amax 127: d = 1 exactly, so x / d are the halves themselves
        ByteBuffer buf = ByteBuffer.allocate(34).order(ByteOrder.LITTLE_ENDIAN);
        RowEncoder.encode(x, TensorType.Q8_0, buf);
        assertEquals(1f, Float.float16ToFloat(buf.getShort(0)));
        for (int i = 0; i < halves.length; i++) assertEquals(ggml[i], buf.get(2 + i), "quant of " + halves[i]);
        assertEquals(0, RowEncoder.roundHalfAway(0.49999997f), "just below a half stays down");
        assertEquals(-1, RowEncoder.roundHalfAway(-0.50000006f));
    }

    /**
     * Each K-quant round-trips a Gaussian row within its quantization step: the rms error relative to the
     * row's rms and the worst error relative to the row's max |x| stay under bounds a little above the
     * step a one-pass quantizer of that many bits gives (a layout slip gives errors of order 1).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"Q2_K, 0.45, 0.5", "Q3_K, 0.2, 0.3", "Q4_K, 0.1, 0.12",
            "Q5_K, 0.05, 0.06", "Q6_K, 0.025, 0.04"})
    void kQuantsRoundTripWithinTheirStep(TensorType type, double rmsBound, double maxBound) {
        float[] x = random(4096, 5);
        x[17] = 0; // a zero, a constant sub-block and a tiny block (fp16 scales underflow) must not break the blocks
        java.util.Arrays.fill(x, 512, 544, 0.25f);
        for (int i = 768; i < 1024; i++) x[i] *= 1e-6f;
        float[] y = roundTrip(x, type);
        double se = 0, ss = 0, worst = 0, amax = 0;
        for (int i = 0; i < x.length; i++) {
            double e = y[i] - x[i];
            se += e * e;
            ss += x[i] * x[i];
            worst = Math.max(worst, Math.abs(e));
            amax = Math.max(amax, Math.abs(x[i]));
        }
        double rel = Math.sqrt(se / ss);
        assertTrue(rel <= rmsBound, type + ": relative rms error " + rel);
        assertTrue(worst <= maxBound * amax, type + ": worst error " + worst + " of max |x| " + amax);
        for (int i = 768; i < 1024; i++) {
            // fp16 block scales underflow here (as ggml's do): only finite values near x are asked for
            assertTrue(Math.abs(y[i] - x[i]) <= 1e-5, type + ": tiny block value " + i + ": " + y[i] + " vs " + x[i]);
        }
    }
}
