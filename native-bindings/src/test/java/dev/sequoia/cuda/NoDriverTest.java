package dev.sequoia.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What must hold on every machine, driver or not: the availability question is answered without an exception,
 * status names need no library. Where there is no driver, the safe layer refuses with the reason before any
 * generated class is touched ({@link DriverGateTest} checks the "before" in a fresh JVM).
 */
class NoDriverTest {
    @Test
    void availabilityIsAnsweredWithoutThrowing() {
        boolean available = Cuda.isAvailable();
        String reason = Cuda.unavailableReason();
        assertFalse(reason.isBlank());
        if (!available) assertFalse(reason.equals("available"), "an unavailable CUDA must say why: " + reason);
    }

    @Test
    void withoutADriverACallNamesTheLibraryAndTheReason() {
        Assumptions.assumeFalse(NativeLibrary.CUDA_DRIVER.isLoadable(), "a CUDA driver is installed here");
        assertTrue(NativeLibrary.CUDA_DRIVER.describe().contains("CUDA driver not loadable"), NativeLibrary.CUDA_DRIVER.describe());
        assertThrows(CudaUnavailableException.class, () -> Cuda.check(0, "cuInit"),
                "a status check without a driver is refused before it can touch the generated class");
        CudaUnavailableException u = assertThrows(CudaUnavailableException.class, () -> CudaContext.open(0));
        assertTrue(u.getMessage().contains("no CUDA driver"), u.getMessage());
        assertTrue(Cuda.errorName(2).contains("2"), "error names degrade to the number without a driver");
    }

    @Test
    void kernelArgumentsAreCheckedBeforeAnyLaunch() {
        assertEquals(java.util.List.of("u64", "int", "float"), Kernel.argumentKinds(7L, 3, 1.5f));
        assertThrows(IllegalArgumentException.class, () -> Kernel.argumentKinds(MemorySegment.NULL));
        assertThrows(IllegalArgumentException.class, () -> Kernel.Dim3.of(0));
    }

    @Test
    void cublasStatusesHaveNames() {
        assertEquals("CUBLAS_STATUS_INVALID_VALUE", Cublas.statusName(7));
        CudaException e = assertThrows(CudaException.class, () -> Cublas.check(13, "cublasGemmEx"));
        assertEquals("CUBLAS_STATUS_EXECUTION_FAILED", e.statusName());
        assertTrue(e.getMessage().contains("cublasGemmEx"));
    }
}
