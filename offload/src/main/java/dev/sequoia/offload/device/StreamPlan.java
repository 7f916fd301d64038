package dev.sequoia.offload.device;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which layers live in device memory and which stream through R rotating device slots, for one model on one
 * GPU. Resident layers are the first ones (the plan fills device memory front to back after reserving the
 * slots); the rest stream from pinned host memory every pass.
 *
 * @param layerBytes bytes of each layer's weights as they travel (fp16 projections)
 * @param resident   resident[l] is true when layer l lives on the device
 * @param slots      number of rotating device slots (R); 0 when every layer is resident
 * @param slotBytes  bytes of one slot: the largest streamed layer
 */
public record StreamPlan(long[] layerBytes, boolean[] resident, int slots, long slotBytes) {
    public StreamPlan {
        layerBytes = layerBytes.clone();
        resident = resident.clone();
        if (layerBytes.length != resident.length) {
            throw new IllegalArgumentException("plan: " + layerBytes.length + " layer sizes but " + resident.length + " residency flags");
        }
        boolean anyStreamed = false;
        for (boolean r : resident) anyStreamed |= !r;
        if (anyStreamed && slots < 1) throw new IllegalArgumentException("plan streams layers but has " + slots + " slots");
    }

    /**
     * Fits a model into {@code deviceBudget} bytes: reserve {@code slots} slots of the largest layer, then make
     * layers resident front to back while they fit. All layers resident (no slots) when everything fits.
     */
    public static StreamPlan fit(long[] layerBytes, long deviceBudget, int slots) {
        if (slots < 1) throw new IllegalArgumentException("slots must be at least 1, got " + slots);
        long total = Arrays.stream(layerBytes).sum();
        boolean[] resident = new boolean[layerBytes.length];
        if (total <= deviceBudget) {
            Arrays.fill(resident, true);
            return new StreamPlan(layerBytes, resident, 0, 0);
        }
        long slotBytes = Arrays.stream(layerBytes).max().orElse(0);
        long left = deviceBudget - slots * slotBytes;
        if (left < 0) {
            throw new IllegalArgumentException("device budget " + deviceBudget + " bytes cannot hold " + slots
                    + " slots of " + slotBytes + " bytes (the largest layer)");
        }
        for (int l = 0; l < layerBytes.length && layerBytes[l] <= left; l++) {
            resident[l] = true;
            left -= layerBytes[l];
        }
        return new StreamPlan(layerBytes, resident, slots, slotBytes);
    }

    public int layers() { return layerBytes.length; }

    /** The streamed layers in pass order. */
    public List<Integer> streamedLayers() {
        List<Integer> s = new ArrayList<>();
        for (int l = 0; l < resident.length; l++) if (!resident[l]) s.add(l);
        return s;
    }

    /** Bytes copied over PCIe per forward pass. */
    public long streamedBytesPerPass() {
        long b = 0;
        for (int l = 0; l < resident.length; l++) if (!resident[l]) b += layerBytes[l];
        return b;
    }

    /** Device bytes the plan occupies: resident layers plus slots. */
    public long deviceBytes() {
        long b = (long) slots * slotBytes;
        for (int l = 0; l < resident.length; l++) if (resident[l]) b += layerBytes[l];
        return b;
    }
}
