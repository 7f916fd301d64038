package dev.sequoia.offload.device;

import dev.sequoia.offload.tier.LayerLoader;
import dev.sequoia.offload.tier.PinnedHostPool;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The disk leg of the three-tier stream (disk -> pinned host -> device). The layers a
 * {@link dev.sequoia.offload.plan.TierPlan} places in {@link dev.sequoia.offload.tier.Placement#FILE} are read by
 * a loader thread with a {@link LayerLoader} (direct I/O: {@link dev.sequoia.offload.tier.DiskTier}), in pass
 * order and endlessly, into the buffers of a {@link PinnedHostPool} (page-locked on CUDA); the device copies each
 * into a slot from there.
 *
 * <p>A device copy reads its host buffer when the copy queue reaches it, not when it is queued, so a buffer goes
 * back to the pool only after that copy completed: with each queued copy the caller hands over a completion to
 * wait for (a CUDA event's synchronize), and the stager runs completions oldest first when it needs a buffer for
 * the loader, or on {@link #close()}.
 *
 * <p>Threading: {@link #take}, {@link #copyQueued} and {@link #close} on the engine thread; the loader thread
 * only reads the file and fills buffers. Ownership: the pool and the loader belong to the caller, who closes them
 * after this stager.
 */
public final class DiskStagedLayers implements AutoCloseable {
    private record Filled(int layer, int buffer, long bytes, RuntimeException error) {}

    private record Outstanding(int buffer, Runnable awaitCopy) {}

    private final List<Integer> fileLayers;
    private final PinnedHostPool pool;
    private final LinkedBlockingQueue<Filled> filled = new LinkedBlockingQueue<>();
    private final Deque<Outstanding> outstanding = new ArrayDeque<>();
    private final Thread loaderThread;
    private int next;          // index into fileLayers of the next layer take() expects
    private Filled current;    // taken, copy not queued yet
    private final Object state = new Object();
    private volatile boolean stopping;
    private boolean loading;   // guarded by state: the loader is inside a read

    public DiskStagedLayers(LayerLoader loader, List<Integer> fileLayers, PinnedHostPool pool) {
        if (fileLayers.isEmpty()) throw new IllegalArgumentException("no layer is read from disk");
        this.fileLayers = List.copyOf(fileLayers);
        this.pool = pool;
        this.loaderThread = Thread.ofPlatform().name("disk-stager").daemon().start(() -> load(loader));
    }

    private void load(LayerLoader loader) {
        for (long k = 0; !stopping; k++) {
            int layer = fileLayers.get((int) (k % fileLayers.size()));
            int buffer;
            try {
                buffer = pool.take();
            } catch (InterruptedException e) {
                return;
            }
            synchronized (state) {
                if (stopping) {
                    pool.give(buffer);
                    return;
                }
                loading = true; // from here close() must not interrupt: the reader's threads write into the buffer
            }
            try {
                long bytes = loader.load(layer, pool.buffer(buffer));
                filled.add(new Filled(layer, buffer, bytes, null));
            } catch (RuntimeException e) {
                pool.give(buffer);
                filled.add(new Filled(layer, -1, 0, e));
                return;
            } finally {
                synchronized (state) {
                    loading = false;
                }
            }
        }
    }

    /**
     * The pinned buffer holding {@code layer}, blocking until it has been read; layers come in pass order. The
     * caller queues the device copy from it and then calls {@link #copyQueued}.
     */
    public MemorySegment take(int layer) {
        if (current != null) throw new IllegalStateException("take(" + layer + ") before copyQueued(" + current.layer + ")");
        int expected = fileLayers.get(next);
        if (layer != expected) throw new IllegalStateException("take(" + layer + ") out of order: the disk stager expects layer " + expected);
        Filled f;
        while ((f = filled.poll()) == null) {
            if (!outstanding.isEmpty()) retireOldest(); // the loader may be waiting for a buffer
            else f = awaitFilled();
            if (f != null) break;
        }
        if (f.error != null) throw new IllegalStateException("reading layer " + f.layer + " from disk failed: " + f.error.getMessage(), f.error);
        if (f.layer != layer) throw new IllegalStateException("the disk stager delivered layer " + f.layer + ", expected " + layer);
        current = f;
        next = (next + 1) % fileLayers.size();
        return pool.buffer(f.buffer);
    }

    /** The copy from the last taken buffer is queued; the buffer returns to the pool once {@code awaitCopy} ran. */
    public void copyQueued(int layer, Runnable awaitCopy) {
        if (current == null || current.layer != layer) throw new IllegalStateException("copyQueued(" + layer + ") without take");
        outstanding.addLast(new Outstanding(current.buffer, awaitCopy));
        current = null;
    }

    /** Copies queued whose buffers have not gone back to the pool yet. */
    public int outstandingCopies() { return outstanding.size(); }

    private void retireOldest() {
        Outstanding o = outstanding.removeFirst();
        o.awaitCopy.run();
        pool.give(o.buffer);
    }

    private Filled awaitFilled() {
        try {
            return filled.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a layer from disk", e);
        }
    }

    /** Stops the loader and waits for every queued copy, so the caller may free the pool. */
    @Override
    public void close() {
        synchronized (state) {
            stopping = true;
            if (!loading) loaderThread.interrupt(); // only a wait for a free buffer is interrupted, never a read
        }
        try {
            loaderThread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        while (!outstanding.isEmpty()) retireOldest();
        if (current != null) pool.give(current.buffer);
        current = null;
        for (Filled f; (f = filled.poll()) != null; ) if (f.buffer >= 0) pool.give(f.buffer);
    }
}
