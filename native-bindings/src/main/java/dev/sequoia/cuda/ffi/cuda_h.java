package dev.sequoia.cuda.ffi;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Raw FFM bindings to the CUDA driver API ({@code cuda.h}, {@code libcuda.so.1}), in jextract's layout:
 * one holder class per function with its {@link FunctionDescriptor} and downcall handle, the C prototype in
 * the javadoc, constants as {@code static final int}. Symbols are the ones the header's macros select
 * ({@code #define cuMemAlloc cuMemAlloc_v2}), so we bind {@code cuMemAlloc_v2} directly.
 *
 * <p>Unlike plain jextract output, the library is opened lazily: loading this class, reading a constant or a
 * descriptor never touches {@code libcuda}; the first call of a function resolves it (and throws
 * {@link UnsatisfiedLinkError} when there is no driver, so ask {@link #isLoadable()} first). How to
 * regenerate with jextract: {@code native-bindings/jextract/README.md}. Typed, safe use: {@code dev.sequoia.cuda}.
 */
@SuppressWarnings({"unused", "checkstyle:MethodName"})
public final class cuda_h {
    private cuda_h() {}
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG_LONG = ValueLayout.JAVA_LONG;
    /** size_t on LP64 Linux. */
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    public static final ValueLayout.OfByte C_CHAR = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS;

    /** The library, opened on first use (never by loading this class or reading a constant). */
    private static final class Lib {
        static final NativeLibrary LIBRARY = NativeLibrary.CUDA_DRIVER;
    }

    /** True when the library can be opened here; never throws. */
    public static boolean isLoadable() {
        return NativeLibrary.CUDA_DRIVER.isLoadable();
    }

    /** Every function this class binds, by symbol name, with its descriptor (for the shape test). */
    public static java.util.Map<String, FunctionDescriptor> boundFunctions() {
        var m = new java.util.LinkedHashMap<String, FunctionDescriptor>();
        m.put("cuInit", cuInit.DESC);
        m.put("cuDriverGetVersion", cuDriverGetVersion.DESC);
        m.put("cuDeviceGet", cuDeviceGet.DESC);
        m.put("cuDeviceGetCount", cuDeviceGetCount.DESC);
        m.put("cuDeviceGetName", cuDeviceGetName.DESC);
        m.put("cuDeviceGetAttribute", cuDeviceGetAttribute.DESC);
        m.put("cuDeviceTotalMem_v2", cuDeviceTotalMem_v2.DESC);
        m.put("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain.DESC);
        m.put("cuDevicePrimaryCtxRelease_v2", cuDevicePrimaryCtxRelease_v2.DESC);
        m.put("cuCtxSetCurrent", cuCtxSetCurrent.DESC);
        m.put("cuCtxSynchronize", cuCtxSynchronize.DESC);
        m.put("cuMemAlloc_v2", cuMemAlloc_v2.DESC);
        m.put("cuMemFree_v2", cuMemFree_v2.DESC);
        m.put("cuMemHostAlloc", cuMemHostAlloc.DESC);
        m.put("cuMemFreeHost", cuMemFreeHost.DESC);
        m.put("cuMemcpyHtoD_v2", cuMemcpyHtoD_v2.DESC);
        m.put("cuMemcpyDtoH_v2", cuMemcpyDtoH_v2.DESC);
        m.put("cuMemcpyHtoDAsync_v2", cuMemcpyHtoDAsync_v2.DESC);
        m.put("cuMemcpyDtoHAsync_v2", cuMemcpyDtoHAsync_v2.DESC);
        m.put("cuMemcpyDtoDAsync_v2", cuMemcpyDtoDAsync_v2.DESC);
        m.put("cuMemsetD8_v2", cuMemsetD8_v2.DESC);
        m.put("cuMemGetInfo_v2", cuMemGetInfo_v2.DESC);
        m.put("cuStreamCreate", cuStreamCreate.DESC);
        m.put("cuStreamDestroy_v2", cuStreamDestroy_v2.DESC);
        m.put("cuStreamSynchronize", cuStreamSynchronize.DESC);
        m.put("cuStreamWaitEvent", cuStreamWaitEvent.DESC);
        m.put("cuEventCreate", cuEventCreate.DESC);
        m.put("cuEventDestroy_v2", cuEventDestroy_v2.DESC);
        m.put("cuEventRecord", cuEventRecord.DESC);
        m.put("cuEventSynchronize", cuEventSynchronize.DESC);
        m.put("cuEventElapsedTime_v2", cuEventElapsedTime_v2.DESC);
        m.put("cuModuleLoadData", cuModuleLoadData.DESC);
        m.put("cuModuleUnload", cuModuleUnload.DESC);
        m.put("cuModuleGetFunction", cuModuleGetFunction.DESC);
        m.put("cuLaunchKernel", cuLaunchKernel.DESC);
        m.put("cuGetErrorName", cuGetErrorName.DESC);
        m.put("cuGetErrorString", cuGetErrorString.DESC);
        return java.util.Collections.unmodifiableMap(m);
    }

    // ---- constants (values from the headers; the shape test checks them) ----

    // CUresult (the ones we name in messages and branch on)
    public static final int CUDA_SUCCESS = 0;
    public static final int CUDA_ERROR_INVALID_VALUE = 1;
    public static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    public static final int CUDA_ERROR_NOT_INITIALIZED = 3;
    public static final int CUDA_ERROR_DEINITIALIZED = 4;
    public static final int CUDA_ERROR_NO_DEVICE = 100;
    public static final int CUDA_ERROR_INVALID_DEVICE = 101;
    public static final int CUDA_ERROR_INVALID_IMAGE = 200;
    public static final int CUDA_ERROR_NO_BINARY_FOR_GPU = 209;
    public static final int CUDA_ERROR_NOT_FOUND = 500;
    public static final int CUDA_ERROR_NOT_READY = 600;
    public static final int CUDA_ERROR_ILLEGAL_ADDRESS = 700;
    public static final int CUDA_ERROR_LAUNCH_FAILED = 719;

    // CUdevice_attribute
    public static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public static final int CU_DEVICE_ATTRIBUTE_PCI_BUS_ID = 33;

    // cuMemHostAlloc flags
    public static final int CU_MEMHOSTALLOC_PORTABLE = 1;
    public static final int CU_MEMHOSTALLOC_DEVICEMAP = 2;
    public static final int CU_MEMHOSTALLOC_WRITECOMBINED = 4;

    // CUstream_flags
    public static final int CU_STREAM_DEFAULT = 0;
    public static final int CU_STREAM_NON_BLOCKING = 1;

    // CUevent_flags
    public static final int CU_EVENT_DEFAULT = 0;
    public static final int CU_EVENT_BLOCKING_SYNC = 1;
    public static final int CU_EVENT_DISABLE_TIMING = 2;

    // CUevent_wait_flags
    public static final int CU_EVENT_WAIT_DEFAULT = 0;

    private static final class cuInit {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuInit");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuInit(unsigned int Flags); } */
    public static FunctionDescriptor cuInit$descriptor() { return cuInit.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuInit(unsigned int Flags); } */
    public static MethodHandle cuInit$handle() { return cuInit.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuInit(unsigned int Flags);
     * }
     */
    public static int cuInit(int Flags) {
        var mh$ = cuInit.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(Flags);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuDriverGetVersion {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuDriverGetVersion");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuDriverGetVersion(int *driverVersion); } */
    public static FunctionDescriptor cuDriverGetVersion$descriptor() { return cuDriverGetVersion.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuDriverGetVersion(int *driverVersion); } */
    public static MethodHandle cuDriverGetVersion$handle() { return cuDriverGetVersion.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuDriverGetVersion(int *driverVersion);
     * }
     */
    public static int cuDriverGetVersion(MemorySegment driverVersion) {
        var mh$ = cuDriverGetVersion.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(driverVersion);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuDeviceGet {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuDeviceGet");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuDeviceGet(CUdevice *device, int ordinal); } */
    public static FunctionDescriptor cuDeviceGet$descriptor() { return cuDeviceGet.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuDeviceGet(CUdevice *device, int ordinal); } */
    public static MethodHandle cuDeviceGet$handle() { return cuDeviceGet.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuDeviceGet(CUdevice *device, int ordinal);
     * }
     */
    public static int cuDeviceGet(MemorySegment device, int ordinal) {
        var mh$ = cuDeviceGet.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(device, ordinal);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuDeviceGetCount {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuDeviceGetCount");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuDeviceGetCount(int *count); } */
    public static FunctionDescriptor cuDeviceGetCount$descriptor() { return cuDeviceGetCount.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuDeviceGetCount(int *count); } */
    public static MethodHandle cuDeviceGetCount$handle() { return cuDeviceGetCount.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuDeviceGetCount(int *count);
     * }
     */
    public static int cuDeviceGetCount(MemorySegment count) {
        var mh$ = cuDeviceGetCount.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(count);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuDeviceGetName {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuDeviceGetName");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuDeviceGetName(char *name, int len, CUdevice dev); } */
    public static FunctionDescriptor cuDeviceGetName$descriptor() { return cuDeviceGetName.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuDeviceGetName(char *name, int len, CUdevice dev); } */
    public static MethodHandle cuDeviceGetName$handle() { return cuDeviceGetName.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuDeviceGetName(char *name, int len, CUdevice dev);
     * }
     */
    public static int cuDeviceGetName(MemorySegment name, int len, int dev) {
        var mh$ = cuDeviceGetName.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(name, len, dev);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuDeviceGetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuDeviceGetAttribute");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev); } */
    public static FunctionDescriptor cuDeviceGetAttribute$descriptor() { return cuDeviceGetAttribute.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev); } */
    public static MethodHandle cuDeviceGetAttribute$handle() { return cuDeviceGetAttribute.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev);
     * }
     */
    public static int cuDeviceGetAttribute(MemorySegment pi, int attrib, int dev) {
        var mh$ = cuDeviceGetAttribute.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(pi, attrib, dev);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuDeviceTotalMem_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuDeviceTotalMem_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev); } */
    public static FunctionDescriptor cuDeviceTotalMem_v2$descriptor() { return cuDeviceTotalMem_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev); } */
    public static MethodHandle cuDeviceTotalMem_v2$handle() { return cuDeviceTotalMem_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev);
     * }
     */
    public static int cuDeviceTotalMem_v2(MemorySegment bytes, int dev) {
        var mh$ = cuDeviceTotalMem_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(bytes, dev);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuDevicePrimaryCtxRetain {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuDevicePrimaryCtxRetain");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev); } */
    public static FunctionDescriptor cuDevicePrimaryCtxRetain$descriptor() { return cuDevicePrimaryCtxRetain.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev); } */
    public static MethodHandle cuDevicePrimaryCtxRetain$handle() { return cuDevicePrimaryCtxRetain.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev);
     * }
     */
    public static int cuDevicePrimaryCtxRetain(MemorySegment pctx, int dev) {
        var mh$ = cuDevicePrimaryCtxRetain.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(pctx, dev);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuDevicePrimaryCtxRelease_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuDevicePrimaryCtxRelease_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev); } */
    public static FunctionDescriptor cuDevicePrimaryCtxRelease_v2$descriptor() { return cuDevicePrimaryCtxRelease_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev); } */
    public static MethodHandle cuDevicePrimaryCtxRelease_v2$handle() { return cuDevicePrimaryCtxRelease_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
     * }
     */
    public static int cuDevicePrimaryCtxRelease_v2(int dev) {
        var mh$ = cuDevicePrimaryCtxRelease_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(dev);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuCtxSetCurrent {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuCtxSetCurrent");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuCtxSetCurrent(CUcontext ctx); } */
    public static FunctionDescriptor cuCtxSetCurrent$descriptor() { return cuCtxSetCurrent.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuCtxSetCurrent(CUcontext ctx); } */
    public static MethodHandle cuCtxSetCurrent$handle() { return cuCtxSetCurrent.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuCtxSetCurrent(CUcontext ctx);
     * }
     */
    public static int cuCtxSetCurrent(MemorySegment ctx) {
        var mh$ = cuCtxSetCurrent.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(ctx);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuCtxSynchronize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuCtxSynchronize");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuCtxSynchronize(void); } */
    public static FunctionDescriptor cuCtxSynchronize$descriptor() { return cuCtxSynchronize.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuCtxSynchronize(void); } */
    public static MethodHandle cuCtxSynchronize$handle() { return cuCtxSynchronize.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuCtxSynchronize(void);
     * }
     */
    public static int cuCtxSynchronize() {
        var mh$ = cuCtxSynchronize.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact();
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuMemAlloc_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_LONG);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuMemAlloc_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize); } */
    public static FunctionDescriptor cuMemAlloc_v2$descriptor() { return cuMemAlloc_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize); } */
    public static MethodHandle cuMemAlloc_v2$handle() { return cuMemAlloc_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize);
     * }
     */
    public static int cuMemAlloc_v2(MemorySegment dptr, long bytesize) {
        var mh$ = cuMemAlloc_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(dptr, bytesize);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuMemFree_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_LONG_LONG);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuMemFree_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuMemFree_v2(CUdeviceptr dptr); } */
    public static FunctionDescriptor cuMemFree_v2$descriptor() { return cuMemFree_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuMemFree_v2(CUdeviceptr dptr); } */
    public static MethodHandle cuMemFree_v2$handle() { return cuMemFree_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuMemFree_v2(CUdeviceptr dptr);
     * }
     */
    public static int cuMemFree_v2(long dptr) {
        var mh$ = cuMemFree_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(dptr);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuMemHostAlloc {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_LONG, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuMemHostAlloc");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags); } */
    public static FunctionDescriptor cuMemHostAlloc$descriptor() { return cuMemHostAlloc.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags); } */
    public static MethodHandle cuMemHostAlloc$handle() { return cuMemHostAlloc.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags);
     * }
     */
    public static int cuMemHostAlloc(MemorySegment pp, long bytesize, int Flags) {
        var mh$ = cuMemHostAlloc.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(pp, bytesize, Flags);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuMemFreeHost {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuMemFreeHost");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuMemFreeHost(void *p); } */
    public static FunctionDescriptor cuMemFreeHost$descriptor() { return cuMemFreeHost.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuMemFreeHost(void *p); } */
    public static MethodHandle cuMemFreeHost$handle() { return cuMemFreeHost.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuMemFreeHost(void *p);
     * }
     */
    public static int cuMemFreeHost(MemorySegment p) {
        var mh$ = cuMemFreeHost.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(p);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuMemcpyHtoD_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_LONG_LONG, C_POINTER, C_LONG);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuMemcpyHtoD_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount); } */
    public static FunctionDescriptor cuMemcpyHtoD_v2$descriptor() { return cuMemcpyHtoD_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount); } */
    public static MethodHandle cuMemcpyHtoD_v2$handle() { return cuMemcpyHtoD_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount);
     * }
     */
    public static int cuMemcpyHtoD_v2(long dstDevice, MemorySegment srcHost, long ByteCount) {
        var mh$ = cuMemcpyHtoD_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(dstDevice, srcHost, ByteCount);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuMemcpyDtoH_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_LONG_LONG, C_LONG);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuMemcpyDtoH_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount); } */
    public static FunctionDescriptor cuMemcpyDtoH_v2$descriptor() { return cuMemcpyDtoH_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount); } */
    public static MethodHandle cuMemcpyDtoH_v2$handle() { return cuMemcpyDtoH_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount);
     * }
     */
    public static int cuMemcpyDtoH_v2(MemorySegment dstHost, long srcDevice, long ByteCount) {
        var mh$ = cuMemcpyDtoH_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(dstHost, srcDevice, ByteCount);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuMemcpyHtoDAsync_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_LONG_LONG, C_POINTER, C_LONG, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuMemcpyHtoDAsync_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount, CUstream hStream); } */
    public static FunctionDescriptor cuMemcpyHtoDAsync_v2$descriptor() { return cuMemcpyHtoDAsync_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount, CUstream hStream); } */
    public static MethodHandle cuMemcpyHtoDAsync_v2$handle() { return cuMemcpyHtoDAsync_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount, CUstream hStream);
     * }
     */
    public static int cuMemcpyHtoDAsync_v2(long dstDevice, MemorySegment srcHost, long ByteCount, MemorySegment hStream) {
        var mh$ = cuMemcpyHtoDAsync_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(dstDevice, srcHost, ByteCount, hStream);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuMemcpyDtoHAsync_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_LONG_LONG, C_LONG, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuMemcpyDtoHAsync_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream); } */
    public static FunctionDescriptor cuMemcpyDtoHAsync_v2$descriptor() { return cuMemcpyDtoHAsync_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream); } */
    public static MethodHandle cuMemcpyDtoHAsync_v2$handle() { return cuMemcpyDtoHAsync_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream);
     * }
     */
    public static int cuMemcpyDtoHAsync_v2(MemorySegment dstHost, long srcDevice, long ByteCount, MemorySegment hStream) {
        var mh$ = cuMemcpyDtoHAsync_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(dstHost, srcDevice, ByteCount, hStream);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuMemcpyDtoDAsync_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_LONG_LONG, C_LONG_LONG, C_LONG, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuMemcpyDtoDAsync_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream); } */
    public static FunctionDescriptor cuMemcpyDtoDAsync_v2$descriptor() { return cuMemcpyDtoDAsync_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream); } */
    public static MethodHandle cuMemcpyDtoDAsync_v2$handle() { return cuMemcpyDtoDAsync_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream);
     * }
     */
    public static int cuMemcpyDtoDAsync_v2(long dstDevice, long srcDevice, long ByteCount, MemorySegment hStream) {
        var mh$ = cuMemcpyDtoDAsync_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(dstDevice, srcDevice, ByteCount, hStream);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuMemsetD8_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_LONG_LONG, C_CHAR, C_LONG);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuMemsetD8_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, size_t N); } */
    public static FunctionDescriptor cuMemsetD8_v2$descriptor() { return cuMemsetD8_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, size_t N); } */
    public static MethodHandle cuMemsetD8_v2$handle() { return cuMemsetD8_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, size_t N);
     * }
     */
    public static int cuMemsetD8_v2(long dstDevice, byte uc, long N) {
        var mh$ = cuMemsetD8_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(dstDevice, uc, N);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuMemGetInfo_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuMemGetInfo_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuMemGetInfo_v2(size_t *free, size_t *total); } */
    public static FunctionDescriptor cuMemGetInfo_v2$descriptor() { return cuMemGetInfo_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuMemGetInfo_v2(size_t *free, size_t *total); } */
    public static MethodHandle cuMemGetInfo_v2$handle() { return cuMemGetInfo_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuMemGetInfo_v2(size_t *free, size_t *total);
     * }
     */
    public static int cuMemGetInfo_v2(MemorySegment free, MemorySegment total) {
        var mh$ = cuMemGetInfo_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(free, total);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuStreamCreate {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuStreamCreate");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags); } */
    public static FunctionDescriptor cuStreamCreate$descriptor() { return cuStreamCreate.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags); } */
    public static MethodHandle cuStreamCreate$handle() { return cuStreamCreate.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags);
     * }
     */
    public static int cuStreamCreate(MemorySegment phStream, int Flags) {
        var mh$ = cuStreamCreate.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(phStream, Flags);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuStreamDestroy_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuStreamDestroy_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuStreamDestroy_v2(CUstream hStream); } */
    public static FunctionDescriptor cuStreamDestroy_v2$descriptor() { return cuStreamDestroy_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuStreamDestroy_v2(CUstream hStream); } */
    public static MethodHandle cuStreamDestroy_v2$handle() { return cuStreamDestroy_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuStreamDestroy_v2(CUstream hStream);
     * }
     */
    public static int cuStreamDestroy_v2(MemorySegment hStream) {
        var mh$ = cuStreamDestroy_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(hStream);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuStreamSynchronize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuStreamSynchronize");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuStreamSynchronize(CUstream hStream); } */
    public static FunctionDescriptor cuStreamSynchronize$descriptor() { return cuStreamSynchronize.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuStreamSynchronize(CUstream hStream); } */
    public static MethodHandle cuStreamSynchronize$handle() { return cuStreamSynchronize.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuStreamSynchronize(CUstream hStream);
     * }
     */
    public static int cuStreamSynchronize(MemorySegment hStream) {
        var mh$ = cuStreamSynchronize.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(hStream);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuStreamWaitEvent {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuStreamWaitEvent");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned int Flags); } */
    public static FunctionDescriptor cuStreamWaitEvent$descriptor() { return cuStreamWaitEvent.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned int Flags); } */
    public static MethodHandle cuStreamWaitEvent$handle() { return cuStreamWaitEvent.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned int Flags);
     * }
     */
    public static int cuStreamWaitEvent(MemorySegment hStream, MemorySegment hEvent, int Flags) {
        var mh$ = cuStreamWaitEvent.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(hStream, hEvent, Flags);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuEventCreate {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuEventCreate");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags); } */
    public static FunctionDescriptor cuEventCreate$descriptor() { return cuEventCreate.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags); } */
    public static MethodHandle cuEventCreate$handle() { return cuEventCreate.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags);
     * }
     */
    public static int cuEventCreate(MemorySegment phEvent, int Flags) {
        var mh$ = cuEventCreate.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(phEvent, Flags);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuEventDestroy_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuEventDestroy_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuEventDestroy_v2(CUevent hEvent); } */
    public static FunctionDescriptor cuEventDestroy_v2$descriptor() { return cuEventDestroy_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuEventDestroy_v2(CUevent hEvent); } */
    public static MethodHandle cuEventDestroy_v2$handle() { return cuEventDestroy_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuEventDestroy_v2(CUevent hEvent);
     * }
     */
    public static int cuEventDestroy_v2(MemorySegment hEvent) {
        var mh$ = cuEventDestroy_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(hEvent);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuEventRecord {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuEventRecord");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuEventRecord(CUevent hEvent, CUstream hStream); } */
    public static FunctionDescriptor cuEventRecord$descriptor() { return cuEventRecord.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuEventRecord(CUevent hEvent, CUstream hStream); } */
    public static MethodHandle cuEventRecord$handle() { return cuEventRecord.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuEventRecord(CUevent hEvent, CUstream hStream);
     * }
     */
    public static int cuEventRecord(MemorySegment hEvent, MemorySegment hStream) {
        var mh$ = cuEventRecord.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(hEvent, hStream);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuEventSynchronize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuEventSynchronize");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuEventSynchronize(CUevent hEvent); } */
    public static FunctionDescriptor cuEventSynchronize$descriptor() { return cuEventSynchronize.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuEventSynchronize(CUevent hEvent); } */
    public static MethodHandle cuEventSynchronize$handle() { return cuEventSynchronize.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuEventSynchronize(CUevent hEvent);
     * }
     */
    public static int cuEventSynchronize(MemorySegment hEvent) {
        var mh$ = cuEventSynchronize.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(hEvent);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuEventElapsedTime_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuEventElapsedTime_v2");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd); } */
    public static FunctionDescriptor cuEventElapsedTime_v2$descriptor() { return cuEventElapsedTime_v2.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd); } */
    public static MethodHandle cuEventElapsedTime_v2$handle() { return cuEventElapsedTime_v2.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd);
     * }
     */
    public static int cuEventElapsedTime_v2(MemorySegment pMilliseconds, MemorySegment hStart, MemorySegment hEnd) {
        var mh$ = cuEventElapsedTime_v2.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(pMilliseconds, hStart, hEnd);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuModuleLoadData {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuModuleLoadData");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuModuleLoadData(CUmodule *module, const void *image); } */
    public static FunctionDescriptor cuModuleLoadData$descriptor() { return cuModuleLoadData.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuModuleLoadData(CUmodule *module, const void *image); } */
    public static MethodHandle cuModuleLoadData$handle() { return cuModuleLoadData.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuModuleLoadData(CUmodule *module, const void *image);
     * }
     */
    public static int cuModuleLoadData(MemorySegment module, MemorySegment image) {
        var mh$ = cuModuleLoadData.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(module, image);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuModuleUnload {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuModuleUnload");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuModuleUnload(CUmodule hmod); } */
    public static FunctionDescriptor cuModuleUnload$descriptor() { return cuModuleUnload.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuModuleUnload(CUmodule hmod); } */
    public static MethodHandle cuModuleUnload$handle() { return cuModuleUnload.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuModuleUnload(CUmodule hmod);
     * }
     */
    public static int cuModuleUnload(MemorySegment hmod) {
        var mh$ = cuModuleUnload.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(hmod);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuModuleGetFunction {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuModuleGetFunction");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name); } */
    public static FunctionDescriptor cuModuleGetFunction$descriptor() { return cuModuleGetFunction.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name); } */
    public static MethodHandle cuModuleGetFunction$handle() { return cuModuleGetFunction.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name);
     * }
     */
    public static int cuModuleGetFunction(MemorySegment hfunc, MemorySegment hmod, MemorySegment name) {
        var mh$ = cuModuleGetFunction.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(hfunc, hmod, name);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuLaunchKernel {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT, C_INT, C_INT, C_INT, C_INT, C_INT, C_POINTER, C_POINTER, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuLaunchKernel");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra); } */
    public static FunctionDescriptor cuLaunchKernel$descriptor() { return cuLaunchKernel.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra); } */
    public static MethodHandle cuLaunchKernel$handle() { return cuLaunchKernel.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra);
     * }
     */
    public static int cuLaunchKernel(MemorySegment f, int gridDimX, int gridDimY, int gridDimZ, int blockDimX, int blockDimY, int blockDimZ, int sharedMemBytes, MemorySegment hStream, MemorySegment kernelParams, MemorySegment extra) {
        var mh$ = cuLaunchKernel.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, hStream, kernelParams, extra);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuGetErrorName {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuGetErrorName");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuGetErrorName(CUresult error, const char **pStr); } */
    public static FunctionDescriptor cuGetErrorName$descriptor() { return cuGetErrorName.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuGetErrorName(CUresult error, const char **pStr); } */
    public static MethodHandle cuGetErrorName$handle() { return cuGetErrorName.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuGetErrorName(CUresult error, const char **pStr);
     * }
     */
    public static int cuGetErrorName(int error, MemorySegment pStr) {
        var mh$ = cuGetErrorName.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(error, pStr);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }

    private static final class cuGetErrorString {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_POINTER);

        /** Resolved on first call only. */
        private static final class Bound {
            static final MemorySegment ADDR = Lib.LIBRARY.findOrThrow("cuGetErrorString");
            static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);
        }
    }

    /** Function descriptor for: {@snippet lang=c : CUresult cuGetErrorString(CUresult error, const char **pStr); } */
    public static FunctionDescriptor cuGetErrorString$descriptor() { return cuGetErrorString.DESC; }

    /** Downcall handle for: {@snippet lang=c : CUresult cuGetErrorString(CUresult error, const char **pStr); } */
    public static MethodHandle cuGetErrorString$handle() { return cuGetErrorString.Bound.HANDLE; }

    /**
     * {@snippet lang=c :
     * CUresult cuGetErrorString(CUresult error, const char **pStr);
     * }
     */
    public static int cuGetErrorString(int error, MemorySegment pStr) {
        var mh$ = cuGetErrorString.Bound.HANDLE;
        try {
            return (int) mh$.invokeExact(error, pStr);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex$) {
            throw new AssertionError("should not reach here", ex$);
        }
    }
}
