package dev.sequoia.engine.backend.cuda;

/**
 * What a streamed forward pass asks of a device, as a sequence of asynchronous operations on two queues: a
 * copy queue (host-to-device over PCIe) and a compute queue. Nothing here blocks the host; ordering between
 * the queues is expressed only with events ("layer ready" per slot, "slot free" per slot).
 *
 * <p>The CUDA implementation maps the queues to two CUDA streams and the events to CUDA events; tests use a
 * fake that records and simulates the order. Called by the one engine thread that owns the context.
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
