package dev.sequoia.offload.tier;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A fixed set of host staging buffers for a device tier, allocated once through a {@link HostAllocator}
 * (page-locked for CUDA, so that a {@link dev.sequoia.offload.device.StreamDevice}'s copies from them can be
 * asynchronous) in one tracked arena that {@link #close()} frees. It serves layers that stream from the file
 * rather than staying pinned whole: the loader takes a free buffer, fills it from the file, and gives it back
 * once the device copy that reads it has completed ({@link dev.sequoia.offload.device.DiskStagedLayers}, the
 * disk leg of a three-tier plan). The CUDA backend's weights do not use it yet: they keep every streamed layer's
 * image pinned whole.
 *
 * <p>Threading: take/give are synchronized (loader thread and engine thread).
 */
public final class PinnedHostPool implements AutoCloseable {
    private final TrackedArena arena;
    private final MemorySegment[] buffers;
    private final Deque<Integer> free = new ArrayDeque<>();

    public PinnedHostPool(int buffers, long bufferBytes, HostAllocator allocator, MemoryLedger ledger) {
        if (buffers < 1) throw new IllegalArgumentException("a pinned pool needs at least one buffer, got " + buffers);
        this.arena = ledger.newArena("pinned host pool (" + allocator.placement() + ")");
        this.buffers = new MemorySegment[buffers];
        try {
            for (int i = 0; i < buffers; i++) {
                this.buffers[i] = allocator.allocate(arena, bufferBytes, 4096);
                free.add(i);
            }
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The index of a free buffer, blocking while all are in use. */
    public synchronized int take() throws InterruptedException {
        while (free.isEmpty()) wait();
        return free.removeFirst();
    }

    public MemorySegment buffer(int index) { return buffers[index]; }

    /** Returns buffer {@code index} to the pool. */
    public synchronized void give(int index) {
        if (free.contains(index)) throw new IllegalStateException("pinned buffer " + index + " returned twice");
        free.addLast(index);
        notifyAll();
    }

    public synchronized int freeBuffers() { return free.size(); }

    @Override
    public void close() { arena.close(); }
}
