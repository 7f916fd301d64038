package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.NativeLibrary;
import dev.sequoia.cuda.ffi.cublas_api_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A cuBLAS handle bound to one stream, for the fp16 GEMMs of the CUDA backend. Owned by the engine thread
 * that owns the context; destroyed by {@link #close()}.
 *
 * <p>Layout: our weights are row-major {@code W (rows=out, cols=in)}; cuBLAS is column-major, so the same
 * bytes are {@code W^T (in, out)} to it. {@link #gemmRowMajor} hides that.
 */
public final class Cublas implements AutoCloseable {
    private final MemorySegment handle;
    private final Arena scalars = Arena.ofConfined();
    private final MemorySegment one;
    private final MemorySegment zero;
    private boolean closed;

    private Cublas(MemorySegment handle) {
        this.handle = handle;
        this.one = scalars.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        this.zero = scalars.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
    }

    /** True when the cuBLAS library can be opened here. */
    public static boolean isLoadable() {
        return NativeLibrary.CUBLAS.isLoadable();
    }

    /** Creates a handle in the current context, with tensor-op math, issuing on {@code stream}. */
    public static Cublas create(CudaStream stream) {
        if (!isLoadable()) throw new CudaUnavailableException(NativeLibrary.CUBLAS.describe());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
            check(cublas_api_h.cublasCreate_v2(p), "cublasCreate_v2");
            Cublas c = new Cublas(p.get(ValueLayout.ADDRESS, 0));
            check(cublas_api_h.cublasSetStream_v2(c.handle, stream.handle()), "cublasSetStream_v2");
            check(cublas_api_h.cublasSetMathMode(c.handle, cublas_api_h.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
            return c;
        }
    }

    /**
     * {@code Y (n, rows) = X (n, cols) @ W^T} with W row-major {@code (rows, cols)} fp16, X fp16 row-major
     * {@code (n, cols)}, Y written as {@code outType} (CUDA_R_16F or CUDA_R_32F); fp32 accumulation.
     * In cuBLAS's column-major terms: {@code Y^T (rows, n) = W (rows, cols) @ X^T (cols, n)}, where the
     * row-major W's bytes are the column-major {@code (cols, rows)} matrix, hence op T on it.
     */
    public void gemmRowMajor(long w, int rows, int cols, long x, int n, long y, int outType) {
        gemmRowMajor(w, rows, cols, x, n, y, outType, false);
    }

    /** As above; with {@code accumulate} Y += X @ W^T (beta = 1; Y must be fp32), the residual add for free. */
    public void gemmRowMajor(long w, int rows, int cols, long x, int n, long y, int outType, boolean accumulate) {
        check(cublas_api_h.cublasGemmEx(handle, cublas_api_h.CUBLAS_OP_T, cublas_api_h.CUBLAS_OP_N,
                rows, n, cols, one, MemorySegment.ofAddress(w), cublas_api_h.CUDA_R_16F, cols,
                MemorySegment.ofAddress(x), cublas_api_h.CUDA_R_16F, cols, accumulate ? one : zero, MemorySegment.ofAddress(y), outType, rows,
                cublas_api_h.CUBLAS_COMPUTE_32F, cublas_api_h.CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx(m=" + rows + ", n=" + n + ", k=" + cols + ")");
    }

    /** Throws a {@link CudaException} named after the cuBLAS status unless it is success. */
    public static void check(int status, String call) {
        if (status != cublas_api_h.CUBLAS_STATUS_SUCCESS) {
            throw new CudaException("cuBLAS", call, status, statusName(status), null);
        }
    }

    /** The symbolic name of a cublasStatus_t. */
    public static String statusName(int status) {
        return switch (status) {
            case cublas_api_h.CUBLAS_STATUS_SUCCESS -> "CUBLAS_STATUS_SUCCESS";
            case cublas_api_h.CUBLAS_STATUS_NOT_INITIALIZED -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case cublas_api_h.CUBLAS_STATUS_ALLOC_FAILED -> "CUBLAS_STATUS_ALLOC_FAILED";
            case cublas_api_h.CUBLAS_STATUS_INVALID_VALUE -> "CUBLAS_STATUS_INVALID_VALUE";
            case cublas_api_h.CUBLAS_STATUS_ARCH_MISMATCH -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case cublas_api_h.CUBLAS_STATUS_MAPPING_ERROR -> "CUBLAS_STATUS_MAPPING_ERROR";
            case cublas_api_h.CUBLAS_STATUS_EXECUTION_FAILED -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case cublas_api_h.CUBLAS_STATUS_INTERNAL_ERROR -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case cublas_api_h.CUBLAS_STATUS_NOT_SUPPORTED -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case cublas_api_h.CUBLAS_STATUS_LICENSE_ERROR -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "CUBLAS_STATUS_" + status;
        };
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            check(cublas_api_h.cublasDestroy_v2(handle), "cublasDestroy_v2");
        } finally {
            scalars.close();
        }
    }
}
