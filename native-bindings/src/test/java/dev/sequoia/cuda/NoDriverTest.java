package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.NativeLibrary;
import dev.sequoia.cuda.ffi.cublas_api_h;
import dev.sequoia.cuda.ffi.cuda_h;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What must hold on every machine, driver or not: classes load, constants and descriptors read, and the
 * availability question is answered without an exception. Where there is no driver, calls fail with an
 * error that names the library and why.
 */
class NoDriverTest {
    @Test
    void constantsAndDescriptorsNeedNoDriver() {
        assertEquals(0, cuda_h.CUDA_SUCCESS);
        assertEquals(2, cuda_h.CU_EVENT_DISABLE_TIMING);
        assertEquals(2, cublas_api_h.CUDA_R_16F);
        assertEquals(4, cuda_h.cuMemcpyHtoDAsync_v2$descriptor().argumentLayouts().size());
        assertTrue(cuda_h.boundFunctions().size() >= 37, "every driver function of the issue is bound");
        assertEquals(5, cublas_api_h.boundFunctions().size());
    }

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
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class, () -> cuda_h.cuInit(0));
        assertTrue(e.getMessage().contains("cuInit") && e.getMessage().contains("CUDA driver"), e.getMessage());
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
