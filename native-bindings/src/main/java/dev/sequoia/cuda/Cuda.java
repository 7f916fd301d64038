package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Entry point of the safe CUDA layer: "is CUDA usable here, and why not", driver initialisation, status
 * checks that turn a CUresult into a {@link CudaException} carrying its name.
 *
 * <p>{@link #isAvailable()} never throws: on a machine without a driver it answers false and
 * {@link #unavailableReason()} says why. The probe runs once per process. It is the gate of the generated
 * bindings: {@code dev.sequoia.cuda.ffi.cuda_h} opens {@code libcuda.so.1} in its static initialiser, so this layer
 * touches it only after {@link NativeLibrary#isLoadable()} said yes (and everything else only after
 * {@link #requireAvailable()}); a machine without a driver never initialises it and runs the CPU backend.
 */
public final class Cuda {
    private Cuda() {}

    private record Probe(boolean available, String reason, int driverVersion, int devices) {}

    private static final class Lazy {
        static final Probe PROBE = probe();
    }

    /** True when the driver loads, initialises and reports at least one device. Never throws. */
    public static boolean isAvailable() {
        return Lazy.PROBE.available;
    }

    /** Why {@link #isAvailable()} is false (or "available" when it is true). */
    public static String unavailableReason() {
        return Lazy.PROBE.reason;
    }

    /** Throws {@link CudaUnavailableException} naming the reason unless CUDA is usable. */
    public static void requireAvailable() {
        if (!isAvailable()) throw new CudaUnavailableException(unavailableReason());
    }

    /** The driver's CUDA version as {@code 1000*major + 10*minor} (13000 for 13.0). */
    public static int driverVersion() {
        requireAvailable();
        return Lazy.PROBE.driverVersion;
    }

    /** Number of CUDA devices. */
    public static int deviceCount() {
        requireAvailable();
        return Lazy.PROBE.devices;
    }

    /** Throws a {@link CudaException} named after {@code result} unless it is CUDA_SUCCESS. */
    public static void check(int result, String call) {
        requireAvailable();
        if (result != cuda_h.CUDA_SUCCESS()) {
            throw new CudaException("CUDA driver", call, result, errorName(result), errorString(result));
        }
    }

    /** The symbolic name of a CUresult ({@code CUDA_ERROR_INVALID_VALUE}), from the driver when loaded. */
    public static String errorName(int result) {
        return describe(result, true);
    }

    static String errorString(int result) {
        return describe(result, false);
    }

    private static String describe(int result, boolean name) {
        if (!NativeLibrary.CUDA_DRIVER.isLoadable()) return "CUresult " + result;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            int rc = name ? cuda_h.cuGetErrorName(result, out) : cuda_h.cuGetErrorString(result, out);
            if (rc != cuda_h.CUDA_SUCCESS()) return "unknown CUresult " + result;
            return out.get(ValueLayout.ADDRESS, 0).reinterpret(512).getString(0);
        }
    }

    private static Probe probe() {
        if (!NativeLibrary.CUDA_DRIVER.isLoadable()) {
            return new Probe(false, "no CUDA driver: " + NativeLibrary.CUDA_DRIVER.describe(), 0, 0);
        }
        try (Arena arena = Arena.ofConfined()) {
            int rc = cuda_h.cuInit(0);
            if (rc != cuda_h.CUDA_SUCCESS()) {
                return new Probe(false, "cuInit failed with " + errorName(rc), 0, 0);
            }
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            probeCheck(cuda_h.cuDriverGetVersion(v), "cuDriverGetVersion");
            MemorySegment n = arena.allocate(ValueLayout.JAVA_INT);
            probeCheck(cuda_h.cuDeviceGetCount(n), "cuDeviceGetCount");
            int count = n.get(ValueLayout.JAVA_INT, 0);
            if (count == 0) return new Probe(false, "the driver reports no CUDA device", v.get(ValueLayout.JAVA_INT, 0), 0);
            return new Probe(true, "available", v.get(ValueLayout.JAVA_INT, 0), count);
        } catch (RuntimeException | LinkageError e) {
            return new Probe(false, "CUDA probe failed: " + e, 0, 0);
        }
    }

    /** {@link #check} without the availability gate, for the probe that decides availability. */
    private static void probeCheck(int result, String call) {
        if (result != cuda_h.CUDA_SUCCESS()) {
            throw new CudaException("CUDA driver", call, result, errorName(result), errorString(result));
        }
    }
}
