package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The int8-activation path for K-quant weights: the twin against an independent decoding (ggml's
 * dequantization in {@link KQuantBlocks}, itself bit-exact against llama.cpp's), the VNNI kernel against the
 * twin bit for bit on ragged shapes, batch sizes and thread counts, and the int8 result within the activation
 * rounding bound of the fp32 one.
 */
class KQuantInt8Test {
    private static final TensorType[] TYPES = {TensorType.Q2_K, TensorType.Q3_K, TensorType.Q4_K, TensorType.Q5_K, TensorType.Q6_K};
    private static final int[] BATCHES = {1, 2, 3, 7, 8, 9, 16, 33, 64};
    /** BATCHES and one past the Q5_K kernel's chunk of 64 tokens (two chunks and a ragged third). */
    private static final int[] NATIVE_BATCHES = {1, 2, 3, 7, 8, 9, 16, 33, 64, 130};

    @Test
    void nativeQuantizationEqualsTheTwinBitForBit() {
        NativeKQuantInt8 nat = nativeOrSkip();
        for (int cols : new int[] {256, 512, 2816}) {
            for (int n : BATCHES) {
                float[] x = activations(n, cols, 31L * cols + n);
                ScalarKQuantInt8.Quantized want = ScalarKQuantInt8.quantize(x, n, cols);
                byte[] q = new byte[n * cols];
                float[] d = new float[n * cols / 256];
                float[] s32 = new float[n * cols / 32];
                int[] i16 = new int[n * cols / 16];
                nat.quantize(x, n, cols, q, d, s32, i16);
                String at = "n=" + n + " cols=" + cols;
                assertArrayEquals(want.q(), q, "quants, " + at);
                assertArrayEquals(want.scale(), d, "scales, " + at);
                assertArrayEquals(want.sum32(), s32, "sums per 32, " + at);
                assertArrayEquals(want.qsum16(), i16, "integer sums per 16, " + at);
            }
        }
    }

    /**
     * The twin's integers and chains against a plain double dot of ggml's dequantized weights with the
     * dequantized activations (q * d). The only differences are fp32 roundings: the decoded weights (one
     * product and one difference each, 2 ulps), the activation sums and scale products (2 ulps) and the twin's
     * chains (fma steps over exact integer sums per block or sub-block, one final sum; each rounds relative to a
     * partial sum, while the bound sums magnitudes), so |twin - exact| <=
     * (4 + 2 * blocks + 5) * 2^-24 * sum (|d sc q| + |side|) |x|, the weights' two parts (quant term, and min or
     * bias term) bounded apart (|sc (q - bias)| <= |sc q| + |bias sc|); any wrong quant, scale or min
     * moves the result by a whole product, orders of magnitude above that.
     */
    @Test
    void twinEqualsTheDequantizedDotWithinFp32Rounding() {
        try (Arena arena = Arena.ofShared()) {
            for (TensorType type : TYPES) {
                int rows = 7, cols = 1024, n = 3;
                WeightMatrix w = RandomWeights.create(arena, "w", type, rows, cols, 17);
                float[] x = activations(n, cols, 5);
                ScalarKQuantInt8.Quantized q = ScalarKQuantInt8.quantize(x, n, cols);
                float[] got = new float[n * rows];
                ScalarKQuantInt8.gemmRows(w, q, got, 0, rows);
                float[] row = new float[cols];
                for (int r = 0; r < rows; r++) {
                    for (int b = 0; b < cols / 256; b++) {
                        KQuantBlocks.decode(type, w.data(), r * w.rowBytes() + (long) b * type.bytesPerBlock(), row, 256 * b);
                    }
                    for (int t = 0; t < n; t++) {
                        double exact = 0, abs = 0;
                        for (int c = 0; c < cols; c++) {
                            double xc = (double) q.q()[t * cols + c] * q.scale()[t * cols / 256 + c / 256];
                            exact += row[c] * xc;
                            abs += magnitudeOfParts(w, r, c) * Math.abs(xc);
                        }
                        double bound = (4 + 2.0 * cols / 256 + 5) * Math.pow(2, -24) * abs;
                        double err = Math.abs(got[t * rows + r] - exact);
                        assertTrue(err <= bound, type + " r=" + r + " t=" + t + ": twin " + got[t * rows + r]
                                + " vs exact " + exact + ", off by " + err + " > " + bound);
                    }
                }
            }
        }
    }

    /**
     * Ragged row ranges, 1 .. 11 super-blocks, every token-tile remainder: the native kernel is the twin, bit for
     * bit, with whole tiles of 16 tokens on AMX where this machine allows it, and with every token on VNNI (the
     * path a machine without AMX takes).
     */
    @ParameterizedTest(name = "AMX allowed: {0}")
    @ValueSource(booleans = {true, false})
    void nativeGemmEqualsTheTwinBitForBit(boolean amx) {
        NativeKQuantInt8 nat = nativeOrSkip();
        nat.allowAmx(amx);
        try {
            nativeGemmEqualsTheTwin();
        } finally {
            nat.allowAmx(true);
        }
    }

    private static void nativeGemmEqualsTheTwin() {
        int[][] shapes = {{1, 256}, {3, 512}, {17, 256}, {45, 768}, {16, 2816}};
        try (VectorMatMul fp32 = new VectorMatMul(3); Int8ActivationMatMul mm = new Int8ActivationMatMul(fp32, true);
             Arena arena = Arena.ofShared()) {
            for (TensorType type : TYPES) {
                for (int[] s : shapes) {
                    WeightMatrix w = RandomWeights.create(arena, type + "-" + s[0] + "x" + s[1], type, s[0], s[1], s[0] * 7L + s[1]);
                    assertEquals("int8-vnni", mm.kernelFor(w));
                    for (int n : NATIVE_BATCHES) {
                        float[] x = activations(n, s[1], 1000L + n);
                        float[] got = new float[n * s[0]], want = new float[n * s[0]];
                        mm.gemm(w, x, got, n);
                        ScalarKQuantInt8.gemmRows(w, ScalarKQuantInt8.quantize(x, n, s[1]), want, 0, s[0]);
                        assertArrayEquals(want, got, w.name() + " n=" + n);
                    }
                }
            }
        }
    }

    /**
     * Decode (n = 1) on long row ranges, where the kernels put P-row runs in the vector lanes
     * (one thread: tasks of 21 and 5 panels, plus ragged remainders): the twin, bit for bit.
     */
    @Test
    void decodeOnLongRowRangesEqualsTheTwinBitForBit() {
        nativeOrSkip();
        try (VectorMatMul fp32 = new VectorMatMul(1); Int8ActivationMatMul mm = new Int8ActivationMatMul(fp32, true);
             Arena arena = Arena.ofShared()) {
            for (TensorType type : TYPES) {
                for (int rows : new int[] {1000, 263}) {
                    WeightMatrix w = RandomWeights.create(arena, type + "-" + rows, type, rows, 512, rows);
                    float[] x = activations(1, 512, rows + 1L);
                    float[] got = new float[rows], want = new float[rows];
                    mm.gemm(w, x, got, 1);
                    ScalarKQuantInt8.gemmRows(w, ScalarKQuantInt8.quantize(x, 1, 512), want, 0, rows);
                    assertArrayEquals(want, got, w.name());
                }
            }
        }
    }

    /** A token's outputs are the same bits alone or anywhere in batches of any size, on 1, 2 or 3 threads. */
    @Test
    void eachTokensResultIsIndependentOfItsBatch() {
        nativeOrSkip();
        int rows = 45, cols = 1280, n = 37;
        try (VectorMatMul one = new VectorMatMul(1); VectorMatMul three = new VectorMatMul(3);
             Int8ActivationMatMul mm1 = new Int8ActivationMatMul(one, true);
             Int8ActivationMatMul mm3 = new Int8ActivationMatMul(three, true); Arena arena = Arena.ofShared()) {
            for (TensorType type : TYPES) {
                WeightMatrix w = RandomWeights.create(arena, "w", type, rows, cols, 11);
                float[] x = activations(n, cols, 99);
                float[] all = new float[n * rows];
                mm3.gemm(w, x, all, n);
                SplittableRandom rnd = new SplittableRandom(5);
                for (int t = 0; t < n; t += 3) {
                    float[] alone = new float[rows];
                    mm1.gemm(w, Arrays.copyOfRange(x, t * cols, (t + 1) * cols), alone, 1);
                    assertArrayEquals(Arrays.copyOfRange(all, t * rows, (t + 1) * rows), alone, type + " token " + t + " alone");
                    int m = 1 + rnd.nextInt(20), at = rnd.nextInt(m);
                    float[] batch = activations(m, cols, 500L + t);
                    System.arraycopy(x, t * cols, batch, at * cols, cols);
                    float[] got = new float[m * rows];
                    mm1.gemm(w, batch, got, m);
                    assertArrayEquals(Arrays.copyOfRange(all, t * rows, (t + 1) * rows),
                            Arrays.copyOfRange(got, at * rows, (at + 1) * rows), type + " token " + t + " at " + at + " of " + m);
                }
            }
        }
    }

    /**
     * Rounding an activation to its super-block's int8 grid moves it by at most max|x_block| / 254, so by
     * Cauchy-Schwarz |int8 - fp32| <= ||W row||_2 * sqrt(sum over blocks of 256 (max|x_block| / 254)^2), plus
     * fp32 reassociation (1e-5 of sum |w x|).
     */
    @Test
    void int8PathIsWithinTheRoundingBoundOfTheFp32Reference() {
        int rows = 9, cols = 768;
        try (Arena arena = Arena.ofShared()) {
            for (TensorType type : TYPES) {
                WeightMatrix w = RandomWeights.create(arena, "w", type, rows, cols, 5);
                float[] row = new float[cols];
                double worst = 0;
                for (int n : new int[] {1, 4, 9}) {
                    float[] x = activations(n, cols, 77L + n);
                    float[] got = new float[n * rows], want = new float[n * rows];
                    ScalarKQuantInt8.gemmRows(w, ScalarKQuantInt8.quantize(x, n, cols), got, 0, rows);
                    new ScalarMatMul().gemm(w, x, want, n);
                    for (int r = 0; r < rows; r++) {
                        new ScalarMatMul().dequantizeRow(w, r, row, 0);
                        for (int t = 0; t < n; t++) {
                            double rounding = 0, absDot = 0, norm = 0;
                            for (int b = 0; b < cols / 256; b++) {
                                double amax = 0;
                                for (int i = 0; i < 256; i++) amax = Math.max(amax, Math.abs(x[t * cols + 256 * b + i]));
                                rounding += 256 * Math.pow(amax / 254, 2);
                            }
                            for (int c = 0; c < cols; c++) {
                                absDot += Math.abs(row[c] * x[t * cols + c]);
                                norm += (double) row[c] * row[c];
                            }
                            double bound = Math.sqrt(norm) * Math.sqrt(rounding) + 1e-5 * absDot;
                            double err = Math.abs(got[t * rows + r] - want[t * rows + r]);
                            worst = Math.max(worst, err / bound);
                            assertTrue(err <= bound, type + " n=" + n + " t=" + t + " r=" + r + ": int8 " + got[t * rows + r]
                                    + " vs fp32 " + want[t * rows + r] + " differ by " + err + " > rounding bound " + bound);
                        }
                    }
                }
                assertTrue(worst > 0, type + ": int8 activations must round something: the comparison would be vacuous");
            }
        }
    }

    @Test
    void withoutTheNativeKernelTheTwinRunsOnThePool() {
        try (VectorMatMul fp32 = new VectorMatMul(2); Int8ActivationMatMul mm = new Int8ActivationMatMul(fp32, false);
             Arena arena = Arena.ofShared()) {
            for (TensorType type : TYPES) {
                WeightMatrix w = RandomWeights.create(arena, "w", type, 37, 512, 3);
                assertEquals("int8-scalar", mm.kernelFor(w));
                for (int n : new int[] {1, 5}) {
                    float[] x = activations(n, 512, n);
                    float[] got = new float[n * 37], want = new float[n * 37];
                    mm.gemm(w, x, got, n);
                    ScalarKQuantInt8.gemmRows(w, ScalarKQuantInt8.quantize(x, n, 512), want, 0, 37);
                    assertArrayEquals(want, got, type + " n=" + n);
                }
            }
        }
    }

    /** |d * sc * q| + |dmin * min| (or |bias * d * sc|) of weight (r, c): the two parts the twin sums apart. */
    private static double magnitudeOfParts(WeightMatrix w, int r, int c) {
        TensorType type = w.type();
        long blk = r * w.rowBytes() + (long) (c / 256) * type.bytesPerBlock();
        int col = c % 256;
        double d = KQuantBlocks.half(w.data(), blk + ScalarKQuantInt8.dOffset(type));
        int sc = ScalarKQuantInt8.weightScale(type, w.data(), blk, col);
        double quantPart = Math.abs(d * sc * ScalarKQuantInt8.quant(type, w.data(), blk, col));
        double side = switch (type) {
            case Q4_K, Q5_K, Q2_K -> KQuantBlocks.half(w.data(), blk + ScalarKQuantInt8.dOffset(type) + 2)
                    * ScalarKQuantInt8.min(type, w.data(), blk, type == TensorType.Q2_K ? col / 16 : col / 32);
            case Q3_K -> 4 * d * sc;
            default -> 32 * d * sc;
        };
        return quantPart + Math.abs(side);
    }

    /** Activations in [-1, 1] with some all-zero super-blocks and some single large values. */
    private static float[] activations(int n, int cols, long seed) {
        float[] x = RandomWeights.activations(n, cols, seed);
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5EED);
        for (int b = 0; b < n * cols / 256; b++) {
            int kind = rnd.nextInt(8);
            if (kind == 0) Arrays.fill(x, 256 * b, 256 * b + 256, 0f);
            if (kind == 1) x[256 * b + rnd.nextInt(256)] = -40f;
        }
        return x;
    }

    private static NativeKQuantInt8 nativeOrSkip() {
        Assumptions.assumeTrue(NativeExpectation.vnniKernelsExpected(), "no cc on PATH or no AVX-512 VNNI CPU: int8 twin only");
        assertTrue(NativeKQuantInt8.load().isPresent(), "VNNI kernels did not load: " + NativeKQuantInt8.unavailableReason());
        return NativeKQuantInt8.load().orElseThrow();
    }
}
