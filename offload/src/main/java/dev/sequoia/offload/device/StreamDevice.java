package dev.sequoia.offload.device;

import dev.sequoia.offload.tier.Placement;

/**
 * The offload module's one interface to a tier whose compute memory is not host memory (a GPU): what a
 * streamed forward pass asks of the device, as asynchronous operations on two queues, a copy queue
 * (host-to-device over PCIe, from {@link Placement#PINNED_HOST} images into device slots in
 * {@link Placement#COMPUTE} memory) and a compute queue. Nothing here blocks the host;
 * ordering between the queues is expressed only with two events per slot, "layer ready" and "slot free".
 * {@link StreamedPass} issues the operations for a {@link StreamPlan}; the CUDA backend implements them with a
 * copy stream, the compute stream and one CUDA event of each kind per slot.
 *
 * <p>Contract, per device slot s (R slots, the plan's {@code slots()}):
 * <ol>
 *   <li>{@link #copyWaitSlotFree}: the copy queue waits for s's latest "slot free" record, so a copy never
 *       overwrites a layer compute still reads.</li>
 *   <li>{@link #copyLayer} then {@link #recordLayerReady}: the layer's bytes go into s, and "s ready" is
 *       recorded behind them on the copy queue.</li>
 *   <li>{@link #computeWaitLayerReady}: compute enqueued afterwards waits for s's latest "ready" record.</li>
 *   <li>{@link #computeLayer} then {@link #recordSlotFree}: the layer's kernels read s, and "s free" is
 *       recorded behind them on the compute queue; they are the last readers until the next copy.</li>
 * </ol>
 * A wait refers to its event's latest record (CUDA semantics). The host-side logic (slot rotation, event
 * ordering, plan) lives in this package and is tested against a simulated device that checks this contract.
 *
 * <p>Threading: called by the one engine thread that owns the device context. Ownership: the implementation's
 * owner (the engine's backend) owns the device slots, the pinned host images and the streams and events, and
 * frees them; this interface allocates nothing.
 */
public interface StreamDevice {
    /** Copy queue: after the slot is known free, copy layer {@code layer}'s pinned bytes into {@code slot}. */
    void copyLayer(int layer, int slot);

    /** Copy queue: mark "slot {@code slot} holds its layer" (recorded after the copy). */
    void recordLayerReady(int slot);

    /** Copy queue: wait until compute has finished with {@code slot} (its last "slot free" record). */
    void copyWaitSlotFree(int slot);

    /** Compute queue: wait until the copy into {@code slot} has landed (its last "layer ready" record). */
    void computeWaitLayerReady(int slot);

    /** Compute queue: run layer {@code layer} over weights in {@code slot}, or resident weights when slot is -1. */
    void computeLayer(int layer, int slot);

    /** Compute queue: mark "compute is done with {@code slot}" (recorded after the layer's kernels). */
    void recordSlotFree(int slot);
}
