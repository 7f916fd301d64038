package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.CudaEvent;
import dev.sequoia.cuda.CudaStream;
import dev.sequoia.offload.device.StreamDevice;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * {@link StreamDevice} (the offload module's device-tier seam) on a GPU: a copy stream and the compute
 * stream, one "layer ready" and one "slot free" event per slot (ordering only). Layer compute is delegated
 * to the transformer. Stalls are measured on the device: timing events recorded on the compute stream just
 * before and just after each "layer ready" wait bracket the time compute spent waiting for a copy, and two
 * more bracket the pass ({@link #lastPass()}). Owns its streams and events; the compute stream is borrowed.
 */
final class CudaStreamDevice implements StreamDevice, AutoCloseable {
    private final CudaWeights weights;
    private final CudaStream compute;
    private final CudaStream copy;
    private final CudaEvent[] ready;
    private final CudaEvent[] free;
    private final CudaContext ctx;
    private final CudaEvent passStart;
    private final CudaEvent passEnd;
    /** (before wait, after wait) timing pairs, grown to the most waits a pass has issued. */
    private final List<CudaEvent[]> waitTimers = new ArrayList<>();
    private int waitsThisPass;
    private BiConsumer<Integer, Integer> layerCompute = (l, s) -> { };

    CudaStreamDevice(CudaContext ctx, CudaWeights weights, CudaStream compute) {
        this.ctx = ctx;
        this.weights = weights;
        this.compute = compute;
        this.passStart = ctx.createEvent(true);
        this.passEnd = ctx.createEvent(true);
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

    /** Marks the start of a pass on the compute stream (before its first enqueued operation). */
    void beginPass() {
        waitsThisPass = 0;
        passStart.record(compute);
    }

    /** Marks the end of a pass on the compute stream (after its last enqueued operation). */
    void endPass() { passEnd.record(compute); }

    @Override
    public void computeWaitLayerReady(int slot) {
        if (waitsThisPass == waitTimers.size()) waitTimers.add(new CudaEvent[]{ctx.createEvent(true), ctx.createEvent(true)});
        CudaEvent[] timer = waitTimers.get(waitsThisPass++);
        timer[0].record(compute);
        compute.waitFor(ready[slot]);
        timer[1].record(compute);
    }

    /** Device-timed pass and stall; blocks until the last pass has finished on the device. */
    PassTiming lastPass() {
        passEnd.synchronize();
        double stallMs = 0;
        for (int i = 0; i < waitsThisPass; i++) stallMs += CudaEvent.elapsedMillis(waitTimers.get(i)[0], waitTimers.get(i)[1]);
        return new PassTiming(CudaEvent.elapsedMillis(passStart, passEnd) / 1e3, stallMs / 1e3, waitsThisPass);
    }

    @Override
    public void computeLayer(int layer, int slot) { layerCompute.accept(layer, slot); }

    @Override
    public void recordSlotFree(int slot) { free[slot].record(compute); }

    @Override
    public void close() {
        for (CudaEvent[] timer : waitTimers) {
            timer[0].close();
            timer[1].close();
        }
        passStart.close();
        passEnd.close();
        for (CudaEvent e : ready) e.close();
        for (CudaEvent e : free) e.close();
        copy.close();
    }
}
