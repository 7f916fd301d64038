package dev.sequoia.offload.tier;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the native bytes and arenas that offload code holds right now, so tests (and the bench) can check
 * that a fault freed every buffer. Shared by all {@link TrackedArena}s created from it; thread-safe.
 */
public final class MemoryLedger {
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong liveArenas = new AtomicLong();
    private final AtomicLong peakBytes = new AtomicLong();

    /** A new shared arena whose allocations this ledger counts until it is closed. */
    public TrackedArena newArena(String owner) {
        liveArenas.incrementAndGet();
        return new TrackedArena(owner, this);
    }

    void allocated(long bytes) {
        long now = liveBytes.addAndGet(bytes);
        peakBytes.accumulateAndGet(now, Math::max);
    }

    void freed(long bytes) {
        liveBytes.addAndGet(-bytes);
        liveArenas.decrementAndGet();
    }

    /** Native bytes allocated and not yet freed. */
    public long liveBytes() { return liveBytes.get(); }

    /** Arenas created and not yet closed. */
    public long liveArenas() { return liveArenas.get(); }

    /** The most bytes ever live at once. */
    public long peakBytes() { return peakBytes.get(); }
}
