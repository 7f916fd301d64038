package dev.sequoia.offload.stream;

import com.lmax.disruptor.AlertException;
import dev.sequoia.offload.telemetry.PassRecorder;
import dev.sequoia.offload.telemetry.PassTelemetry;
import dev.sequoia.offload.tier.HostAllocator;
import dev.sequoia.offload.tier.LayerLoader;
import dev.sequoia.offload.tier.MemoryLedger;
import dev.sequoia.offload.tier.TrackedArena;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Streams the non-resident layers through R rotating slots, overlapping each copy with compute.
 *
 * <p>The loader thread loads the streamed layers in pass order, endlessly (layer s[k mod m] into the k-th
 * free slot): when the last layer of a pass is released, the next pass's first layers already load while
 * other work (the draft) runs. Loader and compute meet through two {@link SlotRing}s: "free" (compute
 * to loader) and "filled" (loader to compute); so the loader is at most R - 1 layers ahead, the prefetch
 * distance.
 *
 * <p>Threading: {@link #beginPass}, {@link #acquire}, {@link #release}, {@link #endPass} and
 * {@link #close} are called by the compute thread only. Ownership: this streamer owns one
 * {@link TrackedArena} holding all R slots; it is created at the first pass and closed on {@link #close},
 * and also on a fault or an abandoned pass, so that every buffer is freed and the next pass starts afresh.
 */
public final class LayerStreamer implements AutoCloseable {
    private final LayerLoader loader;
    private final List<Integer> streamed;
    private final int slots;
    private final long slotBytes;
    private final HostAllocator allocator;
    private final MemoryLedger ledger;
    private final PassRecorder recorder = new PassRecorder();
    private Pipeline pipeline;
    private int nextInPass;
    private int held = -1;
    private boolean inPass;
    private PassTelemetry lastPass = PassTelemetry.NONE;

    public LayerStreamer(LayerLoader loader, List<Integer> streamedLayers, int slots, long slotBytes,
                         HostAllocator allocator, MemoryLedger ledger) {
        if (streamedLayers.isEmpty()) throw new IllegalArgumentException("nothing to stream: the streamed layer list is empty");
        if (slots < 2) throw new IllegalArgumentException("streaming needs R >= 2 slots, got " + slots);
        if (slotBytes <= 0) throw new IllegalArgumentException("slot bytes must be positive, got " + slotBytes);
        this.loader = loader;
        this.streamed = List.copyOf(streamedLayers);
        this.slots = slots;
        this.slotBytes = slotBytes;
        this.allocator = allocator;
        this.ledger = ledger;
    }

    public List<Integer> streamedLayers() { return streamed; }

    public int slots() { return slots; }

    /** Starts a pass; the first pass (or the first after a fault) allocates the slots and starts the loader. */
    public void beginPass() {
        if (inPass) throw new IllegalStateException("beginPass called twice without endPass");
        if (pipeline == null) pipeline = new Pipeline();
        inPass = true;
        nextInPass = 0;
        recorder.begin();
    }

    /** The slot holding {@code layer}, blocking until it is loaded; layers must come in pass order. */
    public MemorySegment acquire(int layer) {
        if (!inPass) throw new IllegalStateException("acquire(" + layer + ") outside a pass: call beginPass first");
        if (nextInPass >= streamed.size() || streamed.get(nextInPass) != layer) {
            throw new IllegalStateException("acquire(" + layer + ") out of order: the streamer expects layer "
                    + (nextInPass < streamed.size() ? streamed.get(nextInPass) : "none (pass complete)"));
        }
        long t0 = System.nanoTime();
        SlotEvent.Snapshot event = pipeline.filled();
        long stall = System.nanoTime() - t0;
        if (event.error() != null) {
            shutDown();
            throw new StreamFaultException(layer, event.error());
        }
        if (event.layer() != layer) throw new IllegalStateException("loader delivered layer " + event.layer() + ", expected " + layer);
        recorder.layer(event.bytes(), event.loadNanos(), stall);
        nextInPass++;
        held = event.slot();
        return pipeline.slot(event.slot());
    }

    /** Layer {@code layer} is done; its slot goes back to the loader. */
    public void release(int layer) {
        if (held < 0) throw new IllegalStateException("release(" + layer + ") without a held layer");
        pipeline.free(held);
        held = -1;
    }

    /**
     * Ends the pass. A complete pass leaves the loader running ahead into the next one; an incomplete pass
     * (an exception in compute) stops the loader and frees the slots.
     */
    public PassTelemetry endPass() {
        if (!inPass) return lastPass;
        inPass = false;
        lastPass = recorder.end();
        if (pipeline != null && (nextInPass != streamed.size() || held >= 0)) shutDown();
        return lastPass;
    }

    /** Telemetry of the last completed (or failed) pass. */
    public PassTelemetry lastPass() { return lastPass; }

    /** True while slots are allocated and the loader runs. */
    public boolean isRunning() { return pipeline != null; }

    @Override
    public void close() {
        inPass = false;
        shutDown();
    }

    private void shutDown() {
        held = -1;
        if (pipeline != null) {
            Pipeline p = pipeline;
            pipeline = null;
            p.stop();
        }
    }

    /** The slots, the two rings and the loader thread of one streaming session. */
    private final class Pipeline {
        private final TrackedArena arena = ledger.newArena("layer streamer slots");
        private final MemorySegment[] memory = new MemorySegment[slots];
        private final SlotRing free = new SlotRing(slots);
        private final SlotRing filled = new SlotRing(slots);
        private final Thread thread;

        Pipeline() {
            try {
                for (int i = 0; i < slots; i++) memory[i] = allocator.allocate(arena, slotBytes, 4096);
            } catch (RuntimeException | OutOfMemoryError e) {
                arena.close();
                throw e;
            }
            for (int i = 0; i < slots; i++) free.publish(i, -1, -1, 0, 0, null);
            thread = Thread.ofPlatform().daemon().name("sequoia-layer-loader").start(this::loadForever);
        }

        MemorySegment slot(int i) { return memory[i]; }

        void free(int slot) { free.publish(slot, -1, -1, 0, 0, null); }

        SlotEvent.Snapshot filled() {
            try {
                return filled.take();
            } catch (AlertException e) {
                throw new IllegalStateException("the layer streamer was stopped while a layer was awaited", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                shutDown();
                throw new IllegalStateException("interrupted while waiting for a streamed layer", e);
            }
        }

        private void loadForever() {
            for (long k = 0; ; k++) {
                SlotEvent.Snapshot slot;
                try {
                    slot = free.take();
                } catch (AlertException | InterruptedException e) {
                    return;
                }
                int layer = streamed.get((int) (k % streamed.size()));
                long t0 = System.nanoTime();
                try {
                    long bytes = loader.load(layer, memory[slot.slot()]);
                    filled.publish(slot.slot(), layer, k, bytes, System.nanoTime() - t0, null);
                } catch (Throwable t) {
                    filled.publish(slot.slot(), layer, k, 0, System.nanoTime() - t0, t);
                    return;
                }
            }
        }

        /** Stops the loader, waits until it no longer touches any slot, then frees every slot. */
        void stop() {
            free.alert();
            filled.alert();
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            arena.close();
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
