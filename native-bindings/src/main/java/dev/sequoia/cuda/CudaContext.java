package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A device's primary context, retained for as long as this object is open, and made current on the thread
 * that opened it. It is the factory of everything that lives in the context (buffers, streams, events,
 * modules); those must be closed before the context.
 *
 * <p>Threading: one engine thread owns a context and issues all calls on it (the CUDA backend's rule). A
 * thread other than the opener must call {@link #makeCurrent()} first.
 */
public final class CudaContext implements AutoCloseable {
    private final int device;
    private final int ordinal;
    private final MemorySegment handle;
    private boolean closed;

    private CudaContext(int ordinal, int device, MemorySegment handle) {
        this.ordinal = ordinal;
        this.device = device;
        this.handle = handle;
    }

    /** Retains device {@code ordinal}'s primary context and makes it current. */
    public static CudaContext open(int ordinal) {
        Cuda.requireAvailable();
        if (ordinal < 0 || ordinal >= Cuda.deviceCount()) {
            throw new IllegalArgumentException("CUDA device ordinal " + ordinal + " out of range: the driver reports "
                    + Cuda.deviceCount() + " device(s)");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dev = arena.allocate(ValueLayout.JAVA_INT);
            Cuda.check(cuda_h.cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
            int device = dev.get(ValueLayout.JAVA_INT, 0);
            MemorySegment ctx = arena.allocate(ValueLayout.ADDRESS);
            Cuda.check(cuda_h.cuDevicePrimaryCtxRetain(ctx, device), "cuDevicePrimaryCtxRetain(" + ordinal + ")");
            CudaContext c = new CudaContext(ordinal, device, ctx.get(ValueLayout.ADDRESS, 0));
            c.makeCurrent();
            return c;
        }
    }

    /** Binds this context to the calling thread. */
    public void makeCurrent() {
        ensureOpen();
        Cuda.check(cuda_h.cuCtxSetCurrent(handle), "cuCtxSetCurrent");
    }

    public int ordinal() { return ordinal; }

    /** The device's marketing name ("NVIDIA H100 80GB HBM3"). */
    public String deviceName() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            Cuda.check(cuda_h.cuDeviceGetName(name, 256, device), "cuDeviceGetName");
            return name.getString(0);
        }
    }

    /** A {@code CU_DEVICE_ATTRIBUTE_*} value of this device. */
    public int attribute(int attribute) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            Cuda.check(cuda_h.cuDeviceGetAttribute(v, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
            return v.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Compute capability as {@code 10*major + minor} (90 for sm_90). */
    public int computeCapability() {
        return 10 * attribute(cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR())
                + attribute(cuda_h.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR());
    }

    /** Free and total device memory in bytes, as the driver sees them now. */
    public MemoryInfo memoryInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            Cuda.check(cuda_h.cuMemGetInfo_v2(free, total), "cuMemGetInfo_v2");
            return new MemoryInfo(free.get(ValueLayout.JAVA_LONG, 0), total.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    /** Bytes of device memory: free now and total. */
    public record MemoryInfo(long freeBytes, long totalBytes) {}

    /** Waits for all work in the context. */
    public void synchronize() {
        Cuda.check(cuda_h.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    public DeviceBuffer allocate(long bytes) {
        ensureOpen();
        return DeviceBuffer.allocate(bytes);
    }

    public PinnedHostBuffer allocatePinned(long bytes) {
        ensureOpen();
        return PinnedHostBuffer.allocate(bytes, 0);
    }

    public CudaStream createStream() {
        ensureOpen();
        return CudaStream.create(cuda_h.CU_STREAM_NON_BLOCKING());
    }

    /** An event for ordering only ({@code timing=false}, cheaper) or for timing too. */
    public CudaEvent createEvent(boolean timing) {
        ensureOpen();
        return CudaEvent.create(timing ? cuda_h.CU_EVENT_DEFAULT() : cuda_h.CU_EVENT_DISABLE_TIMING());
    }

    public CudaModule loadModule(byte[] image, String what) {
        ensureOpen();
        return CudaModule.load(image, what);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("CUDA context of device " + ordinal + " is closed");
    }

    /** Releases the primary context retained by {@link #open}. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Cuda.check(cuda_h.cuDevicePrimaryCtxRelease_v2(device), "cuDevicePrimaryCtxRelease_v2(" + ordinal + ")");
    }
}
