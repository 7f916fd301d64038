package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.CudaEvent;
import dev.sequoia.cuda.CudaStream;
import dev.sequoia.cuda.DeviceBuffer;
import dev.sequoia.cuda.PinnedHostBuffer;

import java.lang.foreign.MemorySegment;

/**
 * {@link StagedInputs.Device} on a GPU: pinned host slots, {@code cuMemcpyHtoDAsync} on the compute stream, one
 * ordering-only event per slot. Owns its slots and events.
 */
final class CudaStagingDevice implements StagedInputs.Device<DeviceBuffer> {
    private final CudaStream stream;
    private final PinnedHostBuffer[] slots;
    private final CudaEvent[] events;

    CudaStagingDevice(CudaContext ctx, CudaStream stream, int slotCount, long slotBytes) {
        this.stream = stream;
        this.slots = new PinnedHostBuffer[slotCount];
        this.events = new CudaEvent[slotCount];
        try {
            for (int i = 0; i < slotCount; i++) {
                slots[i] = ctx.allocatePinned(slotBytes);
                events[i] = ctx.createEvent(false);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public int slots() { return slots.length; }

    @Override
    public MemorySegment slot(int index) { return slots[index].segment(); }

    @Override
    public void copy(MemorySegment src, DeviceBuffer target) { target.copyFromAsync(src, 0, stream); }

    @Override
    public void record(int index) { events[index].record(stream); }

    @Override
    public void await(int index) { events[index].synchronize(); }

    @Override
    public void close() {
        for (CudaEvent e : events) if (e != null) e.close();
        for (PinnedHostBuffer b : slots) if (b != null) b.close();
    }
}
