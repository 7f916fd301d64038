package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.CudaEvent;
import dev.sequoia.cuda.CudaStream;
import dev.sequoia.offload.device.StreamDevice;

import java.util.function.BiConsumer;

/**
 * {@link StreamDevice} (the offload module's device-tier seam) on a GPU: a copy stream and the compute
 * stream, one "layer ready" and one "slot free" event per slot (ordering only, no timing). Layer compute is
 * delegated to the transformer. Owns its streams and events; the compute stream is borrowed.
 */
final class CudaStreamDevice implements StreamDevice, AutoCloseable {
    private final CudaWeights weights;
    private final CudaStream compute;
    private final CudaStream copy;
    private final CudaEvent[] ready;
    private final CudaEvent[] free;
    private BiConsumer<Integer, Integer> layerCompute = (l, s) -> { };

    CudaStreamDevice(CudaContext ctx, CudaWeights weights, CudaStream compute) {
        this.weights = weights;
        this.compute = compute;
        this.copy = ctx.createStream();
        int r = weights.plan.slots();
        ready = new CudaEvent[r];
        free = new CudaEvent[r];
        for (int s = 0; s < r; s++) {
            ready[s] = ctx.createEvent(false);
            free[s] = ctx.createEvent(false);
        }
    }

    /** What {@link #computeLayer} enqueues: (layer, slot or -1). */
    void onCompute(BiConsumer<Integer, Integer> compute) { this.layerCompute = compute; }

    @Override
    public void copyLayer(int layer, int slot) {
        weights.slots[slot].copyFromAsync(weights.hostImage(layer).asSlice(0, weights.offsets.total()), 0, copy);
    }

    @Override
    public void recordLayerReady(int slot) { ready[slot].record(copy); }

    @Override
    public void copyWaitSlotFree(int slot) { copy.waitFor(free[slot]); }

    @Override
    public void computeWaitLayerReady(int slot) { compute.waitFor(ready[slot]); }

    @Override
    public void computeLayer(int layer, int slot) { layerCompute.accept(layer, slot); }

    @Override
    public void recordSlotFree(int slot) { free[slot].record(compute); }

    @Override
    public void close() {
        for (CudaEvent e : ready) e.close();
        for (CudaEvent e : free) e.close();
        copy.close();
    }
}
