package dev.sequoia.offload.plan;

import java.util.Arrays;

/**
 * What the planner over tiers decides from: the layers, the memory of each tier, and the measured rates.
 *
 * @param layerBytes bytes each layer occupies when held (a resident copy, a slot, a pinned image), per layer
 * @param compute    the memory the kernels read (GPU memory; host RAM for the CPU backend): budget and fixed parts
 * @param host       host memory between the disk and a device (pinned images of streamed layers and the
 *                   staging buffers of layers read from disk); null when compute memory is host memory (the CPU
 *                   backend), where streamed layers go from the disk straight into compute slots
 * @param rates      the measured disk, link (PCIe) and compute rates
 */
public record TierInputs(long[] layerBytes, Memory compute, Memory host, Rates rates) {
    /** A memory tier's budget and what is always held in it regardless of the plan (embedding, KV cache, ...). */
    public record Memory(long budgetBytes, long fixedBytes) {
        public Memory {
            if (budgetBytes <= 0) throw new IllegalArgumentException("memory budget must be positive, got " + budgetBytes);
            if (fixedBytes < 0) throw new IllegalArgumentException("fixed bytes must be >= 0, got " + fixedBytes);
        }
    }

    /**
     * Measured rates. NaN where unmeasured (the plan then says so and predicts nothing for that stage).
     *
     * @param diskBytesPerSecond   reading layers from the model file (direct I/O)
     * @param linkBytesPerSecond   host-to-device copies from pinned memory (PCIe); NaN without a device
     * @param computeNanosPerLayer one layer's compute for the batch being planned for
     */
    public record Rates(double diskBytesPerSecond, double linkBytesPerSecond, double computeNanosPerLayer) {
        public Rates {
            if (!Double.isNaN(diskBytesPerSecond) && !(diskBytesPerSecond > 0)) {
                throw new IllegalArgumentException("disk bandwidth must be positive, got " + diskBytesPerSecond);
            }
            if (!Double.isNaN(linkBytesPerSecond) && !(linkBytesPerSecond > 0)) {
                throw new IllegalArgumentException("link bandwidth must be positive, got " + linkBytesPerSecond);
            }
            if (!(computeNanosPerLayer >= 0)) throw new IllegalArgumentException("compute time must be >= 0, got " + computeNanosPerLayer);
        }
    }

    public TierInputs {
        if (layerBytes.length == 0) throw new IllegalArgumentException("a model needs at least one layer");
        for (int i = 0; i < layerBytes.length; i++) {
            if (layerBytes[i] <= 0) throw new IllegalArgumentException("layer " + i + " has " + layerBytes[i] + " bytes");
        }
        layerBytes = layerBytes.clone();
        if (compute == null || rates == null) throw new IllegalArgumentException("compute memory and rates are required");
    }

    /** The CPU backend's inputs: RAM is the compute tier, streamed layers come from the disk. */
    public static TierInputs cpu(PlanInputs in) {
        return new TierInputs(in.layerBytes(), new Memory(in.budgetBytes(), in.fixedBytes()), null,
                new Rates(in.bytesPerSecond(), Double.NaN, in.computeNanosPerLayer()));
    }

    /** True when compute memory is a device's, with host memory (and the link) between it and the disk. */
    public boolean deviceCompute() { return host != null; }

    public int layers() { return layerBytes.length; }

    public long layerBytes(int layer) { return layerBytes[layer]; }

    public long totalLayerBytes() { return Arrays.stream(layerBytes).sum(); }

    /** The rate that fills compute slots: the link on a device, the disk on the CPU. */
    double slotFeedBytesPerSecond() {
        return deviceCompute() ? rates.linkBytesPerSecond() : rates.diskBytesPerSecond();
    }
}
