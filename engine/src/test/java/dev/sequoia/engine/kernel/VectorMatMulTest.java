package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The GEMM against its scalar twin on random shapes, ragged tails and thread counts included: the Vector API
 * kernels, and the native ones, which must load where they are expected to ({@link NativeExpectation}).
 */
class VectorMatMulTest {
    private static final int[] TOKENS = {1, 2, 3, 7, 16, 33};
    /** fp32 reassociation: the error is bounded relative to sum |w x| of each dot product. */
    private static final double REL_TOL = 2e-5;

    private static final ScalarMatMul reference = new ScalarMatMul();
    private static VectorMatMul[] kernels;

    @BeforeAll
    static void startPools() {
        kernels = new VectorMatMul[] {new VectorMatMul(1, false), new VectorMatMul(2, false), new VectorMatMul(3, false),
                new VectorMatMul(1, true), new VectorMatMul(2, true)};
        // the native variants must be native where the library is expected to load, not the Java kernels again
        if (NativeExpectation.nativeKernelsExpected()) {
            for (VectorMatMul k : kernels) {
                if (k.nativeUnavailableReason() != null && !"disabled".equals(k.nativeUnavailableReason()))
                    fail("native kernels expected here (x86-64, AVX-512, cc) but: " + k.nativeUnavailableReason());
            }
        }
    }

    @Test
    void nativeVariantsUseTheNativeKernelWhereItIsExpected() {
        Assumptions.assumeTrue(NativeExpectation.nativeKernelsExpected(), "not x86-64, no cc or no AVX-512: Java kernels only");
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = RandomWeights.create(arena, "w", TensorType.F32, 3, 64, 1);
            for (VectorMatMul k : kernels) {
                boolean allowed = !"disabled".equals(k.nativeUnavailableReason());
                assertEquals(allowed ? "native-avx512" : "vector-api", k.kernelFor(w), "threads=" + k.threads());
            }
        }
    }

    @AfterAll
    static void stopPools() {
        for (VectorMatMul k : kernels) k.close();
    }

    @ParameterizedTest
    @EnumSource(TensorType.class)
    void gemmMatchesScalarTwinOnRaggedShapes(TensorType type) {
        SplittableRandom rnd = new SplittableRandom(42 + type.ordinal());
        try (Arena arena = Arena.ofShared()) {
            for (int trial = 0; trial < 6; trial++) {
                int rows = 1 + 2 * rnd.nextInt(40);           // odd: exercises the 1-row remainder
                int cols = colsFor(type, rnd, trial);
                WeightMatrix w = RandomWeights.create(arena, "w" + trial, type, rows, cols, rnd.nextLong());
                for (int n : TOKENS) {
                    float[] x = RandomWeights.activations(n, cols, rnd.nextLong());
                    for (VectorMatMul k : kernels) assertGemmMatches(w, x, n, k);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TensorType.class)
    void gemmCrossesColumnChunks(TensorType type) {
        // cols > CHUNK and not a multiple of it: partial sums from several chunks must add up.
        int cols = VectorMatMul.CHUNK * 2 + (type.isKQuant() ? 768 : type.isQuantized() ? 96 : 77);
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = RandomWeights.create(arena, "wide", type, 9, cols, 7);
            for (int n : new int[] {1, 5}) {
                for (VectorMatMul k : kernels) assertGemmMatches(w, RandomWeights.activations(n, cols, n), n, k);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TensorType.class)
    void dequantizeRowMatchesScalarTwinExactly(TensorType type) {
        try (Arena arena = Arena.ofShared()) {
            int cols = type.isKQuant() ? 512 : type.isQuantized() ? 96 : 45;
            WeightMatrix w = RandomWeights.create(arena, "emb", type, 5, cols, 3);
            for (int r = 0; r < w.rows(); r++) {
                float[] expected = new float[cols + 3], actual = new float[cols + 3];
                reference.dequantizeRow(w, r, expected, 3);
                kernels[0].dequantizeRow(w, r, actual, 3);
                for (int c = 0; c < expected.length; c++) {
                    assertEquals(Float.floatToRawIntBits(expected[c]), Float.floatToRawIntBits(actual[c]),
                            type + " row " + r + " col " + c);
                }
            }
        }
    }

    @Test
    void rejectsTooShortActivations() {
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = RandomWeights.create(arena, "blk.0.attn_q.weight", TensorType.F32, 4, 8, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> kernels[0].gemm(w, new float[15], new float[8], 2));
            assertEquals(true, e.getMessage().contains("blk.0.attn_q.weight"), e.getMessage());
        }
    }

    private static int colsFor(TensorType type, SplittableRandom rnd, int trial) {
        // Whole blocks of 32 for quantized types and on odd trials (the native kernels' domain), ragged otherwise.
        if (type.isKQuant()) return 256 * (1 + rnd.nextInt(3));
        if (type.isQuantized() || trial % 2 == 1) return 32 * (1 + rnd.nextInt(12));
        return trial == 0 ? 1 + rnd.nextInt(7) : 1 + rnd.nextInt(300); // below one vector, and ragged tails
    }

    private static void assertGemmMatches(WeightMatrix w, float[] x, int n, VectorMatMul k) {
        int rows = w.rows(), cols = w.cols();
        float[] expected = new float[n * rows], actual = new float[n * rows];
        java.util.Arrays.fill(actual, Float.NaN); // the kernel must overwrite, not accumulate into, out
        reference.gemm(w, x, expected, n);
        k.gemm(w, x, actual, n);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            reference.dequantizeRow(w, r, row, 0);
            for (int t = 0; t < n; t++) {
                double scale = 0;
                for (int c = 0; c < cols; c++) scale += Math.abs(row[c] * x[t * cols + c]);
                double err = Math.abs(expected[t * rows + r] - actual[t * rows + r]);
                if (!(err <= REL_TOL * scale + 1e-30)) {
                    fail(k.kernelFor(w) + " " + w.type() + " " + rows + "x" + cols + " n=" + n + " threads=" + k.threads() + " row " + r
                            + " token " + t + ": expected " + expected[t * rows + r] + ", got " + actual[t * rows + r]
                            + " (|error| " + err + " > " + REL_TOL + " * " + scale + ")");
                }
            }
        }
    }
}
