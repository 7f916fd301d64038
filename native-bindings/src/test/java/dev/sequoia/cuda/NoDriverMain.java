package dev.sequoia.cuda;

/**
 * Every safe-layer entry point a machine without a driver reaches, run by {@link DriverGateTest} in a fresh JVM
 * whose class-initialisation log is then read: the availability questions, the refusals with their reasons, the
 * status names. Exits non-zero when an entry point behaves unexpectedly.
 */
public final class NoDriverMain {
    static final String DONE = "no-driver entry points done";

    private NoDriverMain() {}

    public static void main(String[] args) {
        require(!Cuda.isAvailable(), "Cuda.isAvailable() with SEQUOIA_LIBCUDA pointing nowhere");
        require(Cuda.unavailableReason().contains("/nonexistent/libcuda.so.1"), Cuda.unavailableReason());
        require(!Cublas.isLoadable(), "Cublas.isLoadable()");
        require(Cublas.describeLibrary().contains("/nonexistent/libcublas.so.13"), Cublas.describeLibrary());
        require(Cuda.errorName(2).contains("2"), Cuda.errorName(2));
        require(Cublas.statusName(7).equals("CUBLAS_STATUS_INVALID_VALUE"), Cublas.statusName(7));
        refused(() -> CudaContext.open(0));
        refused(() -> Cuda.check(0, "cuInit"));
        refused(Cuda::deviceCount);
        try {
            Cublas.check(13, "cublasGemmEx");
            require(false, "Cublas.check(13) must throw");
        } catch (CudaException expected) {
            require(expected.statusName().equals("CUBLAS_STATUS_EXECUTION_FAILED"), expected.getMessage());
        }
        require(!SequoiaKernels.isBundled() || SequoiaKernels.isBundled(), "SequoiaKernels answers");
        System.out.println(DONE);
    }

    private static void refused(Runnable r) {
        try {
            r.run();
            require(false, "expected CudaUnavailableException");
        } catch (CudaUnavailableException expected) {
            require(expected.getMessage().contains("/nonexistent/libcuda.so.1"), expected.getMessage());
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
