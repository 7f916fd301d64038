package dev.sequoia.offload.plan;

import java.util.Arrays;

/**
 * What the residency planner decides from.
 *
 * @param budgetBytes           memory the compute tier may use for weights, slots and everything fixed
 * @param fixedBytes            what is always held regardless of the plan (embedding, classifier, KV cache,
 *                              activations): counted against the budget first
 * @param layerBytes            bytes each layer occupies when held (resident copy or slot), per layer
 * @param bytesPerSecond        measured transfer bandwidth of the streaming path (disk or PCIe)
 * @param computeNanosPerLayer  measured compute time of one layer for the batch being planned for
 */
public record PlanInputs(long budgetBytes, long fixedBytes, long[] layerBytes, double bytesPerSecond,
                         double computeNanosPerLayer) {
    public PlanInputs {
        if (budgetBytes <= 0) throw new IllegalArgumentException("memory budget must be positive, got " + budgetBytes);
        if (fixedBytes < 0) throw new IllegalArgumentException("fixed bytes must be >= 0, got " + fixedBytes);
        if (layerBytes.length == 0) throw new IllegalArgumentException("a model needs at least one layer");
        for (int i = 0; i < layerBytes.length; i++) {
            if (layerBytes[i] <= 0) throw new IllegalArgumentException("layer " + i + " has " + layerBytes[i] + " bytes");
        }
        if (!(bytesPerSecond > 0)) throw new IllegalArgumentException("transfer bandwidth must be positive, got " + bytesPerSecond);
        if (!(computeNanosPerLayer >= 0)) throw new IllegalArgumentException("compute time must be >= 0, got " + computeNanosPerLayer);
        layerBytes = layerBytes.clone();
    }

    public int layers() { return layerBytes.length; }

    public long layerBytes(int layer) { return layerBytes[layer]; }

    public long totalLayerBytes() { return Arrays.stream(layerBytes).sum(); }

    /** Seconds to transfer layer {@code layer} at the measured bandwidth. */
    public double transferNanos(int layer) { return layerBytes[layer] / bytesPerSecond * 1e9; }
}
