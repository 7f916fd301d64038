package dev.sequoia.offload.tier;

import java.lang.foreign.MemorySegment;

/**
 * The CPU twin of a device {@link CopyEngine}: "device" slots are host segments, copies are synchronous
 * {@code memcpy}s, so every event is complete when recorded. It checks the contract instead: a copy into a
 * slot that compute has not released, or compute on a slot whose copy was never issued, is an error. Used
 * to test the CPU-side bookkeeping the CUDA backend plugs into; owns its slots through a tracked arena.
 */
public final class HostCopyEngine implements CopyEngine {
    private final TrackedArena arena;
    private final MemorySegment[] slots;
    private final boolean[] ready;
    private final boolean[] inUse;

    public HostCopyEngine(int slots, long slotBytes, MemoryLedger ledger) {
        if (slots < 2) throw new IllegalArgumentException("a copy engine needs R >= 2 slots, got " + slots);
        this.arena = ledger.newArena("host copy engine slots");
        this.slots = new MemorySegment[slots];
        for (int i = 0; i < slots; i++) this.slots[i] = arena.allocate(slotBytes, 4096);
        this.ready = new boolean[slots];
        this.inUse = new boolean[slots];
    }

    @Override
    public int slots() { return slots.length; }

    @Override
    public long slotBytes() { return slots[0].byteSize(); }

    /** The "device" memory of {@code slot}: what kernels would read. */
    public MemorySegment slot(int slot) { return slots[slot]; }

    @Override
    public void copyToSlot(MemorySegment pinnedSource, int slot) {
        if (inUse[slot]) throw new IllegalStateException("copy into slot " + slot + " while compute still reads it: release it first");
        if (pinnedSource.byteSize() > slotBytes()) {
            throw new IllegalArgumentException("copy of " + pinnedSource.byteSize() + " bytes into a slot of " + slotBytes());
        }
        MemorySegment.copy(pinnedSource, 0, slots[slot], 0, pinnedSource.byteSize());
        ready[slot] = true;
    }

    @Override
    public void awaitReady(int slot) {
        if (!ready[slot]) throw new IllegalStateException("compute waits on slot " + slot + " but no copy into it was issued");
        ready[slot] = false;
        inUse[slot] = true;
    }

    @Override
    public void releaseSlot(int slot) {
        if (!inUse[slot]) throw new IllegalStateException("release of slot " + slot + " that compute does not hold");
        inUse[slot] = false;
    }

    @Override
    public void awaitCopied(int slot) {
        // copies are synchronous: nothing to wait for
    }

    @Override
    public void close() { arena.close(); }
}
