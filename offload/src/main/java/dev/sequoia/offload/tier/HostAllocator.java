package dev.sequoia.offload.tier;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Allocates host memory for slots and staging buffers. The CPU tier uses plain aligned arena memory; the
 * CUDA tier supplies one that page-locks it ({@code cuMemHostAlloc} / {@code cuMemHostRegister}) so that
 * device copies from it can be asynchronous. The returned segment must belong to {@code arena}'s scope
 * (or be unlocked/freed when that arena closes), so that one owner frees everything.
 */
@FunctionalInterface
public interface HostAllocator {
    MemorySegment allocate(Arena arena, long bytes, long alignment);

    /** Where memory from this allocator lives. */
    default Placement placement() { return Placement.HOST; }

    /** Ordinary, pageable host memory. */
    static HostAllocator plain() {
        return Arena::allocate;
    }
}
