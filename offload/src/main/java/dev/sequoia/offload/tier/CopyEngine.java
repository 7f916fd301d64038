package dev.sequoia.offload.tier;

import java.lang.foreign.MemorySegment;

/**
 * The device side of a tier whose compute memory is not host memory (CUDA): R device slots, filled from
 * pinned host buffers by asynchronous copies and ordered with events, so that neither the copy queue nor the
 * compute queue waits on the host. The CUDA backend implements it with a copy stream, the compute stream
 * and one "ready" and one "free" event per slot; {@link HostCopyEngine} is the CPU twin tests run against.
 *
 * <p>Contract, per slot s (the CUDA backend's {@code StreamDevice} operations in brackets):
 * <ol>
 *   <li>{@link #copyToSlot}: the copy first waits for s's last {@link #releaseSlot} [copyWaitSlotFree], then
 *       copies and records "s ready" [copyLayer, recordLayerReady]. Returns without waiting.</li>
 *   <li>{@link #awaitReady}: compute enqueued afterwards waits for s's last copy [computeWaitLayerReady].</li>
 *   <li>{@link #releaseSlot}: compute enqueued so far is the last reader of s [recordSlotFree].</li>
 *   <li>{@link #awaitCopied}: the host blocks until s's last copy finished, so the pinned source buffer may
 *       be refilled by the loader (the only host-blocking call).</li>
 * </ol>
 * Threading: called by the one engine thread that owns the device context. Ownership: the engine owns the
 * device slots and frees them on {@link #close}; pinned sources belong to a {@link PinnedHostPool}.
 */
public interface CopyEngine extends AutoCloseable {
    /** R, the device slots. */
    int slots();

    /** Bytes of one device slot. */
    long slotBytes();

    /** Enqueues the copy of {@code pinnedSource} into device slot {@code slot} (see the class contract). */
    void copyToSlot(MemorySegment pinnedSource, int slot);

    /** Orders later compute after {@code slot}'s last copy. */
    void awaitReady(int slot);

    /** Marks compute enqueued so far as the last reader of {@code slot}. */
    void releaseSlot(int slot);

    /** Blocks the host until {@code slot}'s last copy has completed. */
    void awaitCopied(int slot);

    /** Where the slots live (COMPUTE = device memory for CUDA). */
    default Placement slotPlacement() { return Placement.COMPUTE; }

    @Override
    void close();
}
