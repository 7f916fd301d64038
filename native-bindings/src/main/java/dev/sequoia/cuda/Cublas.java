package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.cublas_api_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;

/**
 * A cuBLAS handle bound to one stream, for the fp16 GEMMs of the CUDA backend. Owned by the engine thread
 * that owns the context; destroyed by {@link #close()}.
 *
 * <p>The generated {@code cublas_api_h} opens {@code libcublas.so.13} in its static initialiser, so it is touched
 * only from {@link #create} on, after {@link NativeLibrary#isLoadable()}; status names and {@link #check} work
 * without the library (their values are checked against {@code cublas_api.h} by the binding shape test).
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

    /** What a GEMM writes: fp16 or fp32 ({@code CUDA_R_16F}, {@code CUDA_R_32F}). */
    public enum Out { F16, F32 }

    /** The cublasStatus_t values and names this layer reports (checked against {@code cublas_api.h}). */
    static final Map<Integer, String> STATUS_NAMES = Map.ofEntries(
            Map.entry(0, "CUBLAS_STATUS_SUCCESS"),
            Map.entry(1, "CUBLAS_STATUS_NOT_INITIALIZED"),
            Map.entry(3, "CUBLAS_STATUS_ALLOC_FAILED"),
            Map.entry(7, "CUBLAS_STATUS_INVALID_VALUE"),
            Map.entry(8, "CUBLAS_STATUS_ARCH_MISMATCH"),
            Map.entry(11, "CUBLAS_STATUS_MAPPING_ERROR"),
            Map.entry(13, "CUBLAS_STATUS_EXECUTION_FAILED"),
            Map.entry(14, "CUBLAS_STATUS_INTERNAL_ERROR"),
            Map.entry(15, "CUBLAS_STATUS_NOT_SUPPORTED"),
            Map.entry(16, "CUBLAS_STATUS_LICENSE_ERROR"));

    /** True when the cuBLAS library can be opened here (the gate of the generated {@code cublas_api_h}). */
    public static boolean isLoadable() {
        return NativeLibrary.CUBLAS.isLoadable();
    }

    /** Why {@link #isLoadable()} is false, or where the library came from. */
    public static String describeLibrary() {
        return NativeLibrary.CUBLAS.describe();
    }

    /** Creates a handle in the current context, with tensor-op math, issuing on {@code stream}. */
    public static Cublas create(CudaStream stream) {
        if (!isLoadable()) throw new CudaUnavailableException(NativeLibrary.CUBLAS.describe());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
            check(cublas_api_h.cublasCreate_v2(p), "cublasCreate_v2");
            Cublas c = new Cublas(p.get(ValueLayout.ADDRESS, 0));
            check(cublas_api_h.cublasSetStream_v2(c.handle, stream.handle()), "cublasSetStream_v2");
            check(cublas_api_h.cublasSetMathMode(c.handle, cublas_api_h.CUBLAS_DEFAULT_MATH()), "cublasSetMathMode");
            return c;
        }
    }

    /**
     * {@code Y (n, rows) = X (n, cols) @ W^T} with W row-major {@code (rows, cols)} fp16, X fp16 row-major
     * {@code (n, cols)}, Y written as {@code out} (fp16 or fp32); fp32 accumulation.
     * In cuBLAS's column-major terms: {@code Y^T (rows, n) = W (rows, cols) @ X^T (cols, n)}, where the
     * row-major W's bytes are the column-major {@code (cols, rows)} matrix, hence op T on it.
     */
    public void gemmRowMajor(long w, int rows, int cols, long x, int n, long y, Out out) {
        gemmRowMajor(w, rows, cols, x, n, y, out, false);
    }

    /** As above; with {@code accumulate} Y += X @ W^T (beta = 1; Y must be fp32), the residual add for free. */
    public void gemmRowMajor(long w, int rows, int cols, long x, int n, long y, Out out, boolean accumulate) {
        int outType = out == Out.F16 ? cublas_api_h.CUDA_R_16F() : cublas_api_h.CUDA_R_32F();
        check(cublas_api_h.cublasGemmEx(handle, cublas_api_h.CUBLAS_OP_T(), cublas_api_h.CUBLAS_OP_N(),
                rows, n, cols, one, MemorySegment.ofAddress(w), cublas_api_h.CUDA_R_16F(), cols,
                MemorySegment.ofAddress(x), cublas_api_h.CUDA_R_16F(), cols, accumulate ? one : zero, MemorySegment.ofAddress(y), outType, rows,
                cublas_api_h.CUBLAS_COMPUTE_32F(), cublas_api_h.CUBLAS_GEMM_DEFAULT()),
                "cublasGemmEx(m=" + rows + ", n=" + n + ", k=" + cols + ")");
    }

    /** Throws a {@link CudaException} named after the cuBLAS status unless it is success. */
    public static void check(int status, String call) {
        if (status != 0) { // CUBLAS_STATUS_SUCCESS
            throw new CudaException("cuBLAS", call, status, statusName(status), null);
        }
    }

    /** The symbolic name of a cublasStatus_t. */
    public static String statusName(int status) {
        return STATUS_NAMES.getOrDefault(status, "CUBLAS_STATUS_" + status);
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
