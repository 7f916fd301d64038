package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.Cuda;
import dev.sequoia.cuda.Cublas;
import dev.sequoia.cuda.SequoiaKernels;
import org.junit.jupiter.api.Assumptions;

/**
 * GPU tests skip with the reason when CUDA, cuBLAS or the bundled kernels are missing, and fail instead when
 * {@code SEQUOIA_REQUIRE_CUDA=1} (the device script sets it).
 */
final class CudaTestSupport {
    private CudaTestSupport() {}

    static void requireCudaBackend() {
        String why = null;
        if (!Cuda.isAvailable()) why = Cuda.unavailableReason();
        else if (!Cublas.isLoadable()) why = Cublas.describeLibrary();
        else if (!SequoiaKernels.isBundled()) why = "no CUDA kernels in this build (nvcc was absent)";
        if (why == null) return;
        if ("1".equals(System.getenv("SEQUOIA_REQUIRE_CUDA"))) throw new AssertionError("GPU test needs CUDA: " + why + " (SEQUOIA_REQUIRE_CUDA=1)");
        Assumptions.abort("GPU test needs CUDA: " + why);
    }
}
