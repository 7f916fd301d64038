package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where a C compiler and an AVX-512 CPU are present, the native kernels load and are the ones used. */
class NativeGemmTest {
    @Test
    void nativeKernelsLoadWhereACompilerAndAvx512ArePresent() throws Exception {
        Assumptions.assumeTrue(NativeExpectation.nativeKernelsExpected(), "not x86-64, no cc on PATH or no AVX-512 CPU: Java kernels only");
        assertTrue(NativeGemm.load().isPresent(), "native kernels did not load: " + NativeGemm.unavailableReason());
        try (VectorMatMul mm = new VectorMatMul(1); Arena arena = Arena.ofShared()) {
            for (TensorType t : new TensorType[] {TensorType.F32, TensorType.F16, TensorType.BF16, TensorType.Q8_0, TensorType.Q4_0}) {
                assertEquals("native-avx512", mm.kernelFor(RandomWeights.create(arena, "w", t, 3, 64, 1)), t.name());
            }
            WeightMatrix ragged = RandomWeights.create(arena, "w", TensorType.F16, 3, 45, 1);
            assertEquals("vector-api", mm.kernelFor(ragged), "cols not a multiple of 32 stay on the Vector API kernel");
        }
    }
}
