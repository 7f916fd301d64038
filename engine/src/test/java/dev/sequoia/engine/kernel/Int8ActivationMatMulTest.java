package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The int8-activation path: the VNNI kernel against its scalar twin (quantization and GEMM bit-exact, on
 * ragged shapes and every batch size), each token's result independent of its batch, the twin against the
 * fp32 reference within the stated activation-rounding tolerance, and the fp32 fall-through for other types.
 */
class Int8ActivationMatMulTest {
    private static final int[] BATCHES = {1, 2, 3, 7, 16, 33};

    @Test
    void nativeQuantizationEqualsTheTwinBitForBit() {
        NativeInt8Gemm nat = nativeOrSkip();
        for (int cols : new int[] {32, 96, 4096}) {
            for (int n : BATCHES) {
                float[] x = activations(n, cols, 31L * cols + n);
                ScalarInt8MatMul.Quantized want = ScalarInt8MatMul.quantize(x, n, cols);
                byte[] xq = new byte[n * cols];
                float[] xs = new float[n * cols / 32];
                int[] xc = new int[n * cols / 32];
                nat.quantize(x, n, cols, xq, xs, xc);
                assertArrayEquals(want.q(), xq, "quants, n=" + n + " cols=" + cols);
                assertArrayEquals(want.scale(), xs, "scales, n=" + n + " cols=" + cols);
                for (int blk = 0; blk < xc.length; blk++) {
                    int sum = 0;
                    for (int i = 0; i < 32; i++) sum += want.q()[32 * blk + i];
                    assertEquals(-128 * sum, xc[blk], "offset correction of block " + blk + ", n=" + n + " cols=" + cols);
                }
            }
        }
    }

    /**
     * Ragged panels (rows not a multiple of 16), odd block counts (32, 96, 160 columns), several transposed
     * chunks (2048 and 1056 = 33 blocks), every token-tile remainder (n = 1 .. 37): bit-identical to the twin.
     */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q8_0", "Q4_0"})
    void nativeGemmEqualsTheTwinBitForBit(TensorType type) {
        nativeOrSkip();
        int[][] shapes = {{1, 32}, {3, 96}, {5, 64}, {13, 160}, {16, 32}, {17, 96}, {37, 256}, {50, 96}, {9, 2048}, {33, 1056}};
        try (VectorMatMul fp32 = new VectorMatMul(2); Int8ActivationMatMul mm = new Int8ActivationMatMul(fp32, true); Arena arena = Arena.ofShared()) {
            for (int[] s : shapes) {
                WeightMatrix w = RandomWeights.create(arena, type + "-" + s[0] + "x" + s[1], type, s[0], s[1], s[0] * 7L + s[1]);
                assertEquals("int8-vnni", mm.kernelFor(w));
                assertEquals(null, mm.fallbackWarning(), "no warning while the VNNI kernels run");
                for (int n = 1; n <= 37; n += s[0] * s[1] > 4096 ? 6 : 1) {
                    float[] x = activations(n, s[1], 1000L + n);
                    float[] got = new float[n * s[0]];
                    mm.gemm(w, x, got, n);
                    float[] want = new float[n * s[0]];
                    new ScalarInt8MatMul().gemm(w, x, want, n);
                    assertArrayEquals(want, got, w.name() + " n=" + n);
                }
            }
        }
    }

    /**
     * Decode (n = 1) on long row ranges, where the kernel puts runs of rows in the vector lanes and scatters the
     * results (one thread: tasks of 21 and 5 panels, ragged remainders; 1056 columns: more than one chunk of
     * prefetch): the twin, bit for bit.
     */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q8_0", "Q4_0"})
    void decodeOnLongRowRangesEqualsTheTwinBitForBit(TensorType type) {
        nativeOrSkip();
        try (VectorMatMul fp32 = new VectorMatMul(1); Int8ActivationMatMul mm = new Int8ActivationMatMul(fp32, true); Arena arena = Arena.ofShared()) {
            for (int rows : new int[] {1000, 263}) {
                WeightMatrix w = RandomWeights.create(arena, type + "-" + rows, type, rows, 1056, rows);
                float[] x = activations(1, 1056, rows + 1L);
                float[] got = new float[rows], want = new float[rows];
                mm.gemm(w, x, got, 1);
                new ScalarInt8MatMul().gemm(w, x, want, 1);
                assertArrayEquals(want, got, w.name());
            }
        }
    }

    /**
     * Tree verification and autoregressive decoding must agree: a token's outputs are the same bits whether it
     * runs alone, first or last in batches of any size, beside any other tokens, on 1 or 2 threads.
     */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q8_0", "Q4_0"})
    void eachTokensResultIsIndependentOfItsBatch(TensorType type) {
        nativeOrSkip();
        int rows = 45, cols = 1088, n = 37;
        try (VectorMatMul one = new VectorMatMul(1); VectorMatMul two = new VectorMatMul(2);
             Int8ActivationMatMul mm1 = new Int8ActivationMatMul(one, true);
             Int8ActivationMatMul mm2 = new Int8ActivationMatMul(two, true); Arena arena = Arena.ofShared()) {
            WeightMatrix w = RandomWeights.create(arena, "w", type, rows, cols, 11);
            float[] x = activations(n, cols, 99);
            float[] all = new float[n * rows];
            mm2.gemm(w, x, all, n);
            SplittableRandom rnd = new SplittableRandom(5);
            for (int t = 0; t < n; t++) {
                float[] alone = new float[rows];
                mm1.gemm(w, java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols), alone, 1);
                assertArrayEquals(java.util.Arrays.copyOfRange(all, t * rows, (t + 1) * rows), alone, "token " + t + " alone");
                int m = 1 + rnd.nextInt(20), at = rnd.nextInt(m);
                float[] batch = activations(m, cols, 500L + t);
                System.arraycopy(x, t * cols, batch, at * cols, cols);
                float[] got = new float[m * rows];
                (t % 2 == 0 ? mm1 : mm2).gemm(w, batch, got, m);
                assertArrayEquals(java.util.Arrays.copyOfRange(all, t * rows, (t + 1) * rows),
                        java.util.Arrays.copyOfRange(got, at * rows, (at + 1) * rows), "token " + t + " at " + at + " of " + m);
            }
        }
    }

    /**
     * Rounding each activation to its block's int8 grid moves it by at most half a step, max|x_block| / 254; so
     * by Cauchy-Schwarz |int8 - fp32| <= ||W row||_2 * sqrt(sum over blocks of 32 (max|x_block| / 254)^2), plus
     * fp32 reassociation. A scale off by 1% breaks this bound (the errors no longer stay within half a step).
     */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q8_0", "Q4_0"})
    void int8PathIsWithinTheRoundingBoundOfTheFp32Reference(TensorType type) {
        int rows = 11, cols = 512;
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = RandomWeights.create(arena, "w", type, rows, cols, 5);
            float[] row = new float[cols];
            double worst = 0;
            for (int n : BATCHES) {
                float[] x = activations(n, cols, 77L + n);
                float[] got = new float[n * rows], want = new float[n * rows];
                new ScalarInt8MatMul().gemm(w, x, got, n);
                new ScalarMatMul().gemm(w, x, want, n);
                for (int r = 0; r < rows; r++) {
                    new ScalarMatMul().dequantizeRow(w, r, row, 0);
                    for (int t = 0; t < n; t++) {
                        double roundingNorm = 0, absDot = 0;
                        for (int b = 0; b < cols / 32; b++) {
                            double amax = 0;
                            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[t * cols + 32 * b + i]));
                            roundingNorm += 32 * Math.pow(amax / 254, 2);
                        }
                        for (int c = 0; c < cols; c++) absDot += Math.abs(row[c] * x[t * cols + c]);
                        double bound = norm(row, 0, cols) * Math.sqrt(roundingNorm) + 1e-5 * absDot;
                        double err = Math.abs(got[t * rows + r] - want[t * rows + r]);
                        worst = Math.max(worst, err / bound);
                        assertTrue(err <= bound, "n=" + n + " t=" + t + " r=" + r + ": int8 " + got[t * rows + r]
                                + " vs fp32 " + want[t * rows + r] + " differ by " + err + " > rounding bound " + bound);
                    }
                }
            }
            assertTrue(worst > 0, "int8 activations must round something: the comparison would be vacuous");
        }
    }

    @Test
    void withoutTheNativeKernelTheTwinRunsOnThePool() {
        try (VectorMatMul fp32 = new VectorMatMul(2); Int8ActivationMatMul mm = new Int8ActivationMatMul(fp32, false); Arena arena = Arena.ofShared()) {
            WeightMatrix w = RandomWeights.create(arena, "w", TensorType.Q8_0, 37, 96, 3);
            assertEquals("int8-scalar", mm.kernelFor(w));
            assertTrue(mm.nativeUnavailableReason() != null, "the native kernel must not be in use");
            assertTrue(mm.fallbackWarning().contains("drop --int8"), mm.fallbackWarning());
            for (int n : BATCHES) {
                float[] x = activations(n, 96, n);
                float[] got = new float[n * 37], want = new float[n * 37];
                mm.gemm(w, x, got, n);
                new ScalarInt8MatMul().gemm(w, x, want, n);
                assertArrayEquals(want, got, "n=" + n);
            }
        }
    }

    @Test
    void otherTypesRunTheFp32KernelsUnchanged() {
        try (Int8ActivationMatMul mm = new Int8ActivationMatMul(2);
             VectorMatMul ref = new VectorMatMul(2); Arena arena = Arena.ofShared()) {
            for (TensorType t : new TensorType[] {TensorType.F32, TensorType.F16, TensorType.BF16}) {
                WeightMatrix w = RandomWeights.create(arena, "w", t, 13, 128, 9);
                assertEquals(ref.kernelFor(w), mm.kernelFor(w), t.name());
                float[] x = activations(7, 128, 4);
                float[] got = new float[7 * 13], want = new float[7 * 13];
                mm.gemm(w, x, got, 7);
                ref.gemm(w, x, want, 7);
                assertArrayEquals(want, got, t.name());
            }
            WeightMatrix ragged = RandomWeights.create(arena, "ragged", TensorType.F16, 3, 45, 1);
            assertEquals(ref.kernelFor(ragged), mm.kernelFor(ragged));
        }
    }

    /** Activations in [-1, 1] with some all-zero blocks and some single large values per block. */
    private static float[] activations(int n, int cols, long seed) {
        float[] x = RandomWeights.activations(n, cols, seed);
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5EED);
        for (int b = 0; b < n * cols / 32; b++) {
            int kind = rnd.nextInt(8);
            if (kind == 0) java.util.Arrays.fill(x, 32 * b, 32 * b + 32, 0f);
            if (kind == 1) x[32 * b + rnd.nextInt(32)] = -40f;
        }
        return x;
    }

    private static double norm(float[] v, int from, int len) {
        double s = 0;
        for (int i = from; i < from + len; i++) s += (double) v[i] * v[i];
        return Math.sqrt(s);
    }

    private static NativeInt8Gemm nativeOrSkip() {
        Assumptions.assumeTrue(NativeExpectation.vnniKernelsExpected(), "no cc on PATH or no AVX-512 VNNI CPU: int8 twin only");
        assertTrue(NativeInt8Gemm.load().isPresent(), "VNNI kernels did not load: " + NativeInt8Gemm.unavailableReason());
        return NativeInt8Gemm.load().orElseThrow();
    }
}
