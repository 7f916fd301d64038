package dev.sequoia.offload.tier;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A shared arena that reports what it allocates and frees to a {@link MemoryLedger}. Every native buffer
 * of the offload module (slots, resident copies, staging) comes from one of these, and each has exactly
 * one owner that closes it.
 */
public final class TrackedArena implements Arena {
    private final String owner;
    private final MemoryLedger ledger;
    private final Arena delegate = Arena.ofShared();
    private long allocated;

    TrackedArena(String owner, MemoryLedger ledger) {
        this.owner = owner;
        this.ledger = ledger;
    }

    @Override
    public synchronized MemorySegment allocate(long byteSize, long byteAlignment) {
        MemorySegment segment = delegate.allocate(byteSize, byteAlignment);
        allocated += byteSize;
        ledger.allocated(byteSize);
        return segment;
    }

    @Override
    public MemorySegment.Scope scope() { return delegate.scope(); }

    /** Bytes this arena handed out so far. */
    public synchronized long allocatedBytes() { return allocated; }

    @Override
    public synchronized void close() {
        if (!delegate.scope().isAlive()) return;
        delegate.close();
        ledger.freed(allocated);
    }

    @Override
    public String toString() { return "TrackedArena[" + owner + ", " + allocated + " bytes]"; }
}
