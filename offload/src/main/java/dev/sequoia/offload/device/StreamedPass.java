package dev.sequoia.offload.device;

import java.util.List;

/**
 * Issues one forward pass's layer operations to a {@link StreamDevice}, so that copies of streamed layers run
 * ahead of compute through R rotating slots and neither side ever waits on the host:
 *
 * <pre>
 *   copy:    [wait free s] copy L(i) -> s, record ready s      (i-th streamed layer uses slot s = i mod R)
 *   compute: wait ready s, layer L(i) on s, record free s
 * </pre>
 *
 * The first R streamed layers are issued before any compute (prefetch distance R); after computing the i-th
 * streamed layer, the copy of the (i+R)-th is issued into the slot just freed. A slot's first copy in a pass
 * still waits on its "slot free" from the previous pass, so back-to-back passes are safe.
 *
 * <p>Threading: one engine thread; the object keeps which slots have been used since creation.
 */
public final class StreamedPass {
    private final StreamPlan plan;
    private final boolean[] slotUsed;

    public StreamedPass(StreamPlan plan) {
        this.plan = plan;
        this.slotUsed = new boolean[plan.slots()];
    }

    public StreamPlan plan() { return plan; }

    /** Issues every operation of one pass, in order, without blocking. */
    public void issue(StreamDevice device) {
        List<Integer> streamed = plan.streamedLayers();
        int r = plan.slots();
        for (int i = 0; i < Math.min(r, streamed.size()); i++) issueCopy(device, streamed.get(i), i % r);
        int next = 0; // index into streamed of the next layer to compute
        for (int layer = 0; layer < plan.layers(); layer++) {
            if (plan.resident()[layer]) {
                device.computeLayer(layer, -1);
                continue;
            }
            int slot = next % r;
            device.computeWaitLayerReady(slot);
            device.computeLayer(layer, slot);
            device.recordSlotFree(slot);
            int ahead = next + r;
            if (ahead < streamed.size()) issueCopy(device, streamed.get(ahead), slot);
            next++;
        }
    }

    private void issueCopy(StreamDevice device, int layer, int slot) {
        if (slotUsed[slot]) device.copyWaitSlotFree(slot);
        device.copyLayer(layer, slot);
        device.recordLayerReady(slot);
        slotUsed[slot] = true;
    }
}
