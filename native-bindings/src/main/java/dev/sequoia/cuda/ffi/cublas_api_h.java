package dev.sequoia.cuda.ffi;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Raw FFM bindings to cuBLAS ({@code cublas_api.h}, {@code libcublas.so.*}), in jextract's layout; lazily
 * opened exactly like {@link cuda_h}. Only what the fp16 GEMMs of the CUDA backend need.
 */
@SuppressWarnings({"unused", "checkstyle:MethodName"})
public final class cublas_api_h {
    private cublas_api_h() {}
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG_LONG = ValueLayout.JAVA_LONG;
    /** size_t on LP64 Linux. */
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    public static final ValueLayout.OfByte C_CHAR = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS;

    /** The library, opened on first use (never by loading this class or reading a constant). */
    private static final class Lib {
        static final NativeLibrary LIBRARY = NativeLibrary.CUBLAS;
    }

    /** True when the library can be opened here; never throws. */
    public static boolean isLoadable() {
        return NativeLibrary.CUBLAS.isLoadable();
    }

    /** Every function this class binds, by symbol name, with its descriptor (for the shape test). */
    public static java.util.Map<String, FunctionDescriptor> boundFunctions() {
        var m = new java.util.LinkedHashMap<String, FunctionDescriptor>();
        m.put("cublasCreate_v2", cublasCreate_v2.DESC);
        m.put("cublasDestroy_v2", cublasDestroy_v2.DESC);
        m.put("cublasSetStream_v2", cublasSetStream_v2.DESC);
        m.put("cublasSetMathMode", cublasSetMathMode.DESC);
        m.put("cublasGemmEx", cublasGemmEx.DESC);
        return java.util.Collections.unmodifiableMap(m);
    }

    // ---- constants (values from the headers; the shape test checks them) ----

    // cublasStatus_t
    public static final int CUBLAS_STATUS_SUCCESS = 0;
    public static final int CUBLAS_STATUS_NOT_INITIALIZED = 1;
    public static final int CUBLAS_STATUS_ALLOC_FAILED = 3;
    public static final int CUBLAS_STATUS_INVALID_VALUE = 7;
    public static final int CUBLAS_STATUS_ARCH_MISMATCH = 8;
    public static final int CUBLAS_STATUS_MAPPING_ERROR = 11;
    public static final int CUBLAS_STATUS_EXECUTION_FAILED = 13;
    public static final int CUBLAS_STATUS_INTERNAL_ERROR = 14;
    public static final int CUBLAS_STATUS_NOT_SUPPORTED = 15;
    public static final int CUBLAS_STATUS_LICENSE_ERROR = 16;

    // cublasOperation_t
    public static final int CUBLAS_OP_N = 0;
    public static final int CUBLAS_OP_T = 1;

    // cublasMath_t
    public static final int CUBLAS_DEFAULT_MATH = 0;
    public static final int CUBLAS_TENSOR_OP_MATH = 1;
    public static final int CUBLAS_PEDANTIC_MATH = 2;
    public static final int CUBLAS_TF32_TENSOR_OP_MATH = 3;

    // cudaDataType (library_types.h)
    public static final int CUDA_R_32F = 0;
    public static final int CUDA_R_16F = 2;
    public static final int CUDA_R_16BF = 14;

    // cublasComputeType_t
    public static final int CUBLAS_COMPUTE_16F = 64;
    public static final int CUBLAS_COMPUTE_32F = 68;
    public static final int CUBLAS_COMPUTE_32F_FAST_16F = 74;
    public static final int CUBLAS_COMPUTE_32F_FAST_16BF = 75;
    public static final int CUBLAS_COMPUTE_32F_FAST_TF32 = 77;

    // cublasGemmAlgo_t
    public static final int CUBLAS_GEMM_DEFAULT = -1;
    public static final int CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99;

    private static final class cublasCreate_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cublasCreate_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : cublasStatus_t cublasCreate_v2(cublasHandle_t *handle); } */
    public static FunctionDescriptor cublasCreate_v2$descriptor() { return cublasCreate_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : cublasStatus_t cublasCreate_v2(cublasHandle_t *handle); } */
    public static MethodHandle cublasCreate_v2$handle() { return cublasCreate_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasCreate_v2(cublasHandle_t *handle);
     * }
     */
    public static int cublasCreate_v2(MemorySegment handle) {
        var mh$ = cublasCreate_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(handle);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cublasDestroy_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cublasDestroy_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : cublasStatus_t cublasDestroy_v2(cublasHandle_t handle); } */
    public static FunctionDescriptor cublasDestroy_v2$descriptor() { return cublasDestroy_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : cublasStatus_t cublasDestroy_v2(cublasHandle_t handle); } */
    public static MethodHandle cublasDestroy_v2$handle() { return cublasDestroy_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);
     * }
     */
    public static int cublasDestroy_v2(MemorySegment handle) {
        var mh$ = cublasDestroy_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(handle);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cublasSetStream_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cublasSetStream_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId); } */
    public static FunctionDescriptor cublasSetStream_v2$descriptor() { return cublasSetStream_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId); } */
    public static MethodHandle cublasSetStream_v2$handle() { return cublasSetStream_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId);
     * }
     */
    public static int cublasSetStream_v2(MemorySegment handle, MemorySegment streamId) {
        var mh$ = cublasSetStream_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(handle, streamId);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cublasSetMathMode {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cublasSetMathMode");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode); } */
    public static FunctionDescriptor cublasSetMathMode$descriptor() { return cublasSetMathMode.DESC; }

    /** Downcall handle for: {@snippet lang=c : cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode); } */
    public static MethodHandle cublasSetMathMode$handle() { return cublasSetMathMode.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);
     * }
     */
    public static int cublasSetMathMode(MemorySegment handle, int mode) {
        var mh$ = cublasSetMathMode.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(handle, mode);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cublasGemmEx {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT, C_INT, C_INT, C_INT, C_POINTER, C_POINTER, C_INT, C_INT, C_POINTER, C_INT, C_INT, C_POINTER, C_POINTER, C_INT, C_INT, C_INT, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cublasGemmEx");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda, const void *B, cudaDataType Btype, int ldb, const void *beta, void *C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo); } */
    public static FunctionDescriptor cublasGemmEx$descriptor() { return cublasGemmEx.DESC; }

    /** Downcall handle for: {@snippet lang=c : cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda, const void *B, cudaDataType Btype, int ldb, const void *beta, void *C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo); } */
    public static MethodHandle cublasGemmEx$handle() { return cublasGemmEx.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda, const void *B, cudaDataType Btype, int ldb, const void *beta, void *C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo);
     * }
     */
    public static int cublasGemmEx(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha, MemorySegment A, int Atype, int lda, MemorySegment B, int Btype, int ldb, MemorySegment beta, MemorySegment C, int Ctype, int ldc, int computeType, int algo) {
        var mh$ = cublasGemmEx.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(handle, transa, transb, m, n, k, alpha, A, Atype, lda, B, Btype, ldb, beta, C, Ctype, ldc, computeType, algo);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }
}
