package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link MatMul#gemmAll}: several matrices over the same activations in one call give, matrix by matrix, the
 * bits of separate {@link MatMul#gemm} calls, on the fp32 kernels and the int8-activation ones (one shared
 * quantization and one parallel loop when all matrices take the same kernel, one gemm each when they do not),
 * with ragged row counts (not whole panels of 16) and the q/k/v and gate/up shapes' mixes of types.
 */
class GemmAllTest {
    private static final TensorType[][] MIXES = {
            {TensorType.Q4_K, TensorType.Q4_K, TensorType.Q6_K}, // Q4_K_M's q, k, v
            {TensorType.Q8_0, TensorType.Q8_0, TensorType.Q8_0},
            {TensorType.Q8_0, TensorType.Q4_K, TensorType.F16}, // no shared kernel: one gemm each
            {TensorType.F32, TensorType.Q4_0, TensorType.BF16},
    };
    private static final int[] ROWS = {48, 17, 33};
    private static final int COLS = 512;

    @Test
    void eachOutputEqualsItsOwnGemm() {
        try (VectorMatMul fp32 = new VectorMatMul(2); Int8ActivationMatMul int8 = new Int8ActivationMatMul(fp32, true);
             Int8ActivationMatMul twin = new Int8ActivationMatMul(fp32, false); Arena arena = Arena.ofShared()) {
            for (TensorType[] mix : MIXES) {
                WeightMatrix[] ws = new WeightMatrix[mix.length];
                for (int m = 0; m < mix.length; m++) {
                    ws[m] = RandomWeights.create(arena, mix[m] + "-" + m, mix[m], ROWS[m], COLS, 97L * m + mix[m].ordinal());
                }
                for (MatMul mm : new MatMul[] {fp32, int8, twin}) {
                    for (int n : new int[] {1, 3, 16}) {
                        float[] x = activations(n, 5L * n + mix[0].ordinal());
                        float[][] got = new float[mix.length][];
                        for (int m = 0; m < mix.length; m++) got[m] = new float[n * ROWS[m]];
                        mm.gemmAll(ws, x, got, n);
                        for (int m = 0; m < mix.length; m++) {
                            float[] want = new float[n * ROWS[m]];
                            mm.gemm(ws[m], x, want, n);
                            assertArrayEquals(want, got[m], mm.getClass().getSimpleName() + " " + ws[m].name() + " n=" + n);
                        }
                    }
                }
            }
        }
    }

    @Test
    void oneOutputPerMatrixIsRequired() {
        try (VectorMatMul fp32 = new VectorMatMul(1); Arena arena = Arena.ofShared()) {
            WeightMatrix w = RandomWeights.create(arena, "w", TensorType.F32, 16, COLS, 1);
            assertThrows(IllegalArgumentException.class,
                    () -> fp32.gemmAll(new WeightMatrix[] {w, w}, new float[COLS], new float[][] {new float[16]}, 1));
        }
    }

    private static float[] activations(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n * COLS];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
