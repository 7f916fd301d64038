package dev.sequoia.cuda;

import dev.sequoia.cuda.ffi.cuda_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An executable CUDA graph: the work one stream was given during a capture ({@code cuStreamBeginCapture_v2} ..
 * {@code cuStreamEndCapture}), instantiated once and replayed with one {@code cuGraphLaunch} instead of one
 * launch call per kernel. A replay repeats the captured launches exactly (same arguments, same buffers), so what
 * varies between replays must live in device memory the kernels read. Destroyed by {@link #close()}.
 *
 * <p>Threading: capture on the thread that owns the context; nothing else may be issued to the stream while it
 * is captured ({@code CU_STREAM_CAPTURE_MODE_THREAD_LOCAL}: other threads may keep using their streams).
 */
public final class CudaGraph implements AutoCloseable {
    private final MemorySegment exec;
    private boolean closed;

    private CudaGraph(MemorySegment exec) {
        this.exec = exec;
    }

    /** The work {@code issue} queues on {@code stream}, captured, not run, and instantiated for replay. */
    public static CudaGraph capture(CudaStream stream, Runnable issue) {
        Cuda.check(cuda_h.cuStreamBeginCapture_v2(stream.handle(), cuda_h.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL()),
                "cuStreamBeginCapture_v2");
        MemorySegment graph;
        try (Arena arena = Arena.ofConfined()) {
            RuntimeException failure = null;
            try {
                issue.run();
            } catch (RuntimeException e) {
                failure = e;
            }
            MemorySegment p = arena.allocate(ValueLayout.ADDRESS);
            int ended = cuda_h.cuStreamEndCapture(stream.handle(), p); // always end, so the stream is usable again
            graph = p.get(ValueLayout.ADDRESS, 0);
            if (failure != null) {
                if (ended == cuda_h.CUDA_SUCCESS()) cuda_h.cuGraphDestroy(graph);
                throw failure;
            }
            Cuda.check(ended, "cuStreamEndCapture");
            try {
                MemorySegment e = arena.allocate(ValueLayout.ADDRESS);
                Cuda.check(cuda_h.cuGraphInstantiateWithFlags(e, graph, 0L), "cuGraphInstantiateWithFlags");
                return new CudaGraph(e.get(ValueLayout.ADDRESS, 0));
            } finally {
                Cuda.check(cuda_h.cuGraphDestroy(graph), "cuGraphDestroy"); // the executable graph is independent
            }
        }
    }

    /** Replays the captured work on {@code stream}. */
    public void launch(CudaStream stream) {
        if (closed) throw new IllegalStateException("CUDA graph is closed");
        Cuda.check(cuda_h.cuGraphLaunch(exec, stream.handle()), "cuGraphLaunch");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Cuda.check(cuda_h.cuGraphExecDestroy(exec), "cuGraphExecDestroy");
    }
}
