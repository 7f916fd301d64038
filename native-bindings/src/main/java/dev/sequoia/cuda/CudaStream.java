package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A CUDA stream: work issued to it runs in order; different streams overlap (a copy stream feeding a compute
 * stream). Created non-blocking with respect to the legacy default stream. Destroyed by {@link #close()}.
 */
public final class CudaStream implements AutoCloseable {
    private final MemorySegment handle;
    private boolean closed;

    private CudaStream(MemorySegment handle) {
        this.handle = handle;
    }

    static CudaStream create(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
            Cuda.check(cuda_h.cuStreamCreate(p, flags), "cuStreamCreate");
            return new CudaStream(p.get(ValueLayout.ADDRESS, 0));
        }
    }

    /** The CUstream, for launches and copies. */
    public MemorySegment handle() {
        if (closed) throw new IllegalStateException("CUDA stream is closed");
        return handle;
    }

    /** Work issued to this stream after this call waits until {@code event} has completed (no host wait). */
    public void waitFor(CudaEvent event) {
        Cuda.check(cuda_h.cuStreamWaitEvent(handle(), event.handle(), cuda_h.CU_EVENT_WAIT_DEFAULT()), "cuStreamWaitEvent");
    }

    /** Blocks the calling thread until everything issued to this stream is done. */
    public void synchronize() {
        Cuda.check(cuda_h.cuStreamSynchronize(handle()), "cuStreamSynchronize");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Cuda.check(cuda_h.cuStreamDestroy_v2(handle), "cuStreamDestroy_v2");
    }
}
