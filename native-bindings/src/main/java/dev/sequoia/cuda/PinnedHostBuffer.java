package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Page-locked host memory ({@code cuMemHostAlloc}): the only host memory a copy engine reads asynchronously
 * at full PCIe speed. Seen from Java as a {@link MemorySegment} of exactly {@code bytes}; freed by
 * {@link #close()} with {@code cuMemFreeHost}. The segment must not be used after close.
 */
public final class PinnedHostBuffer implements AutoCloseable {
    private final MemorySegment segment;
    private boolean closed;

    private PinnedHostBuffer(MemorySegment segment) {
        this.segment = segment;
    }

    static PinnedHostBuffer allocate(long bytes, int flags) {
        if (bytes <= 0) throw new IllegalArgumentException("pinned allocation must be positive, got " + bytes + " bytes");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
            Cuda.check(cuda_h.cuMemHostAlloc(p, bytes, flags), "cuMemHostAlloc(" + bytes + " bytes)");
            return new PinnedHostBuffer(p.get(ValueLayout.ADDRESS, 0).reinterpret(bytes));
        }
    }

    /** The pinned bytes. */
    public MemorySegment segment() {
        if (closed) throw new IllegalStateException("pinned host buffer of " + segment.byteSize() + " bytes is closed");
        return segment;
    }

    public long byteSize() { return segment.byteSize(); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Cuda.check(cuda_h.cuMemFreeHost(segment), "cuMemFreeHost(" + segment.byteSize() + " bytes)");
    }
}
