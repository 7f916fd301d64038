package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The int8-activation path: the VNNI kernel against its scalar twin (quantization bit-exact, GEMM within
 * fp32 rounding of the exact integer block dots), the twin against the fp32 reference within the stated
 * activation-rounding tolerance, and the fp32 fall-through for other types.
 */
class Int8ActivationMatMulTest {
    private static final int[] BATCHES = {1, 2, 3, 7, 16, 33};
    /** |int8 - fp32| <= TOLERANCE * ||W row||_2 * ||x token||_2: the stated accuracy of int8 activations. */
    private static final double TOLERANCE = 2e-2;

    @Test
    void nativeQuantizationEqualsTheTwinBitForBit() {
        NativeInt8Gemm nat = nativeOrSkip();
        for (int cols : new int[] {32, 96, 4096}) {
            for (int n : BATCHES) {
                float[] x = activations(n, cols, 31L * cols + n);
                ScalarInt8MatMul.Quantized want = ScalarInt8MatMul.quantize(x, n, cols);
                byte[] xu = new byte[n * cols];
                float[] xs = new float[n * cols / 32];
                nat.quantize(x, n, cols, xu, xs);
                for (int i = 0; i < xu.length; i++) xu[i] ^= (byte) 0x80;
                assertArrayEquals(want.q(), xu, "quants, n=" + n + " cols=" + cols);
                assertArrayEquals(want.scale(), xs, "scales, n=" + n + " cols=" + cols);
            }
        }
    }

    @Test
    void nativeGemmEqualsTheTwinWithinFp32RoundingOfTheBlockSums() {
        nativeOrSkip();
        int[][] shapes = {{1, 32}, {3, 96}, {5, 64}, {13, 160}, {37, 256}, {9, 2048}};
        try (VectorMatMul fp32 = new VectorMatMul(2); Int8ActivationMatMul mm = new Int8ActivationMatMul(fp32, true); Arena arena = Arena.ofShared()) {
            for (int[] s : shapes) {
                WeightMatrix w = RandomWeights.create(arena, "w" + s[0] + "x" + s[1], TensorType.Q8_0, s[0], s[1], s[0] * 7L + s[1]);
                assertEquals("int8-vnni", mm.kernelFor(w));
                for (int n : BATCHES) {
                    float[] x = activations(n, s[1], 1000L + n);
                    float[] got = new float[n * s[0]];
                    mm.gemm(w, x, got, n);
                    float[] want = new float[n * s[0]];
                    new ScalarInt8MatMul().gemm(w, x, want, n);
                    ScalarInt8MatMul.Quantized q = ScalarInt8MatMul.quantize(x, n, s[1]);
                    for (int t = 0; t < n; t++) {
                        for (int r = 0; r < s[0]; r++) {
                            double bound = roundingBound(w, r, q, t);
                            int i = t * s[0] + r;
                            assertTrue(Math.abs(got[i] - want[i]) <= bound, w.name() + " n=" + n + " t=" + t + " r=" + r
                                    + ": native " + got[i] + " vs twin " + want[i] + " (bound " + bound + ")");
                        }
                    }
                }
            }
        }
    }

    @Test
    void int8PathIsWithinTheStatedToleranceOfTheFp32Reference() {
        int rows = 11, cols = 512;
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = RandomWeights.create(arena, "w", TensorType.Q8_0, rows, cols, 5);
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
                        double scale = norm(row, 0, cols) * norm(x, t * cols, cols);
                        double rel = Math.abs(got[t * rows + r] - want[t * rows + r]) / scale;
                        worst = Math.max(worst, rel);
                        assertTrue(rel <= TOLERANCE, "n=" + n + " t=" + t + " r=" + r + ": int8 " + got[t * rows + r]
                                + " vs fp32 " + want[t * rows + r] + " is " + rel + " of |w||x|");
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
            for (TensorType t : new TensorType[] {TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q4_0}) {
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

    /**
     * Twice the worst-case fp32 error of summing the block terms in any order, over |terms| taken per
     * product (the native kernel sums partial dots of 4 products per lane): (blocks + 32) * 2^-23 * sum
     * over blocks of |d_w d_x| * sum |q_w q_x|. The integer dots themselves must be exact.
     */
    private static double roundingBound(WeightMatrix w, int r, ScalarInt8MatMul.Quantized q, int t) {
        int nb = w.cols() / 32;
        double abs = 0;
        for (int b = 0; b < nb; b++) {
            long blk = r * w.rowBytes() + 34L * b;
            long dot = 0;
            for (int i = 0; i < 32; i++) {
                dot += Math.abs(w.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, blk + 2 + i)
                        * q.q()[t * w.cols() + 32 * b + i]);
            }
            abs += Math.abs((double) ScalarInt8MatMul.blockScale(w, r, b) * q.scale()[t * nb + b]) * dot;
        }
        return 2 * (nb + 32) * Math.ulp(1f) * abs + Float.MIN_NORMAL;
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
        Assumptions.assumeTrue(hasCompiler() && cpuHasVnni(), "no cc on PATH or no AVX-512 VNNI CPU: int8 twin only");
        assertTrue(NativeInt8Gemm.load().isPresent(), "VNNI kernels did not load: " + NativeInt8Gemm.unavailableReason());
        return NativeInt8Gemm.load().orElseThrow();
    }

    private static boolean hasCompiler() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, "cc"))) return true;
        }
        return false;
    }

    private static boolean cpuHasVnni() {
        try {
            Path info = Path.of("/proc/cpuinfo");
            return Files.isReadable(info) && Files.readString(info).contains(" avx512_vnni");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
