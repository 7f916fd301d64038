package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A CUDA event: a marker recorded into a stream, which another stream can wait on ("layer ready", "slot
 * free") or the host can time. Destroyed by {@link #close()}.
 */
public final class CudaEvent implements AutoCloseable {
    private final MemorySegment handle;
    private boolean closed;

    private CudaEvent(MemorySegment handle) {
        this.handle = handle;
    }

    static CudaEvent create(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
            Cuda.check(cuda_h.cuEventCreate(p, flags), "cuEventCreate(flags=" + flags + ")");
            return new CudaEvent(p.get(ValueLayout.ADDRESS, 0));
        }
    }

    MemorySegment handle() {
        if (closed) throw new IllegalStateException("CUDA event is closed");
        return handle;
    }

    /** Marks the point of {@code stream}'s queue that this event stands for. */
    public void record(CudaStream stream) {
        Cuda.check(cuda_h.cuEventRecord(handle(), stream.handle()), "cuEventRecord");
    }

    /** Blocks the calling thread until the recorded work completed. */
    public void synchronize() {
        Cuda.check(cuda_h.cuEventSynchronize(handle()), "cuEventSynchronize");
    }

    /** Milliseconds between two completed timing events. */
    public static float elapsedMillis(CudaEvent start, CudaEvent end) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ms = arena.allocate(ValueLayout.JAVA_FLOAT);
            Cuda.check(cuda_h.cuEventElapsedTime_v2(ms, start.handle(), end.handle()), "cuEventElapsedTime_v2");
            return ms.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Cuda.check(cuda_h.cuEventDestroy_v2(handle), "cuEventDestroy_v2");
    }
}
