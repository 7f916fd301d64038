package dev.sequoia.cuda;

import org.junit.jupiter.api.Assumptions;

/**
 * The rule for every GPU test: without a usable CUDA driver the test is skipped with a message naming why;
 * but when {@code SEQUOIA_REQUIRE_CUDA=1} (set by experiments/device/gpu-check.sh on a GPU machine) it fails,
 * so a broken driver setup cannot pass as "all skipped".
 */
public final class CudaTestSupport {
    private CudaTestSupport() {}

    public static boolean required() {
        return "1".equals(System.getenv("SEQUOIA_REQUIRE_CUDA"));
    }

    public static void requireCuda() {
        if (Cuda.isAvailable()) return;
        String why = "GPU test needs CUDA: " + Cuda.unavailableReason();
        if (required()) throw new AssertionError(why + " (SEQUOIA_REQUIRE_CUDA=1)");
        Assumptions.abort(why);
    }

    public static void requireCublas() {
        requireCuda();
        if (Cublas.isLoadable()) return;
        String why = "GPU test needs cuBLAS: " + Cublas.describeLibrary();
        if (required()) throw new AssertionError(why + " (SEQUOIA_REQUIRE_CUDA=1)");
        Assumptions.abort(why);
    }
}
