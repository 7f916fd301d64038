package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * {@code bytes} of device memory ({@code cuMemAlloc_v2}), freed by {@link #close()}. The owner is whoever
 * allocated it (a backend's weight store, a streamer's slot ring, a test). Copies check bounds on both sides
 * before calling the driver, so a wrong offset is a Java exception naming the buffer, not a device fault.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final long address;
    private final long bytes;
    private boolean closed;

    private DeviceBuffer(long address, long bytes) {
        this.address = address;
        this.bytes = bytes;
    }

    static DeviceBuffer allocate(long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("device allocation must be positive, got " + bytes + " bytes");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(ValueLayout.JAVA_LONG);
            Cuda.check(cuda_h.cuMemAlloc_v2(p, bytes), "cuMemAlloc_v2(" + bytes + " bytes)");
            return new DeviceBuffer(p.get(ValueLayout.JAVA_LONG, 0), bytes);
        }
    }

    /** The device address of byte {@code offset} (a CUdeviceptr, for kernel arguments and cuBLAS). */
    public long address(long offset) {
        check(offset, 0);
        return address + offset;
    }

    public long address() { return address(0); }

    public long byteSize() { return bytes; }

    /** Synchronous host-to-device copy of all of {@code src} to {@code offset}. */
    public void copyFrom(MemorySegment src, long offset) {
        check(offset, src.byteSize());
        Cuda.check(cuda_h.cuMemcpyHtoD_v2(address + offset, src, src.byteSize()), "cuMemcpyHtoD_v2(" + src.byteSize() + " bytes)");
    }

    /** Synchronous device-to-host copy filling all of {@code dst} from {@code offset}. */
    public void copyTo(long offset, MemorySegment dst) {
        check(offset, dst.byteSize());
        Cuda.check(cuda_h.cuMemcpyDtoH_v2(dst, address + offset, dst.byteSize()), "cuMemcpyDtoH_v2(" + dst.byteSize() + " bytes)");
    }

    /** Asynchronous host-to-device copy on {@code stream}; {@code src} should be pinned to overlap. */
    public void copyFromAsync(MemorySegment src, long offset, CudaStream stream) {
        check(offset, src.byteSize());
        Cuda.check(cuda_h.cuMemcpyHtoDAsync_v2(address + offset, src, src.byteSize(), stream.handle()),
                "cuMemcpyHtoDAsync_v2(" + src.byteSize() + " bytes)");
    }

    /** Asynchronous device-to-host copy on {@code stream}; {@code dst} must stay alive until the stream passes it. */
    public void copyToAsync(long offset, MemorySegment dst, CudaStream stream) {
        check(offset, dst.byteSize());
        Cuda.check(cuda_h.cuMemcpyDtoHAsync_v2(dst, address + offset, dst.byteSize(), stream.handle()),
                "cuMemcpyDtoHAsync_v2(" + dst.byteSize() + " bytes)");
    }

    /** Asynchronous device-to-device copy of {@code count} bytes from {@code src} to this buffer. */
    public void copyFromDeviceAsync(DeviceBuffer src, long srcOffset, long offset, long count, CudaStream stream) {
        Objects.requireNonNull(src);
        src.check(srcOffset, count);
        check(offset, count);
        Cuda.check(cuda_h.cuMemcpyDtoDAsync_v2(address + offset, src.address + srcOffset, count, stream.handle()),
                "cuMemcpyDtoDAsync_v2(" + count + " bytes)");
    }

    /** Sets every byte to {@code value} (synchronous with respect to the host). */
    public void fill(byte value) {
        check(0, bytes);
        Cuda.check(cuda_h.cuMemsetD8_v2(address, value, bytes), "cuMemsetD8_v2(" + bytes + " bytes)");
    }

    private void check(long offset, long count) {
        if (closed) throw new IllegalStateException("device buffer of " + bytes + " bytes is closed");
        if (offset < 0 || count < 0 || offset + count > bytes) {
            throw new IndexOutOfBoundsException("device buffer of " + bytes + " bytes: range [" + offset + ", "
                    + (offset + count) + ") is outside it");
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Cuda.check(cuda_h.cuMemFree_v2(address), "cuMemFree_v2(" + bytes + " bytes)");
    }
}
