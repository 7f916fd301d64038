package dev.sequoia.offload.device;

import java.util.ArrayList;
import java.util.List;

/**
 * A fake {@link StreamDevice}: a Java model of a GPU with one copy engine and one compute queue. It records
 * every operation, advances each queue's clock (copy: bytes / bandwidth; compute: a fixed time per layer),
 * applies event waits the way CUDA does (a wait refers to the event's latest record), and reports any
 * violation of the streaming contract: computing a layer whose bytes have not landed in its slot, or
 * overwriting a slot whose layer has not been computed.
 */
final class SimulatedStreamDevice implements StreamDevice {
    private final long[] layerBytes;
    private final double bytesPerSecond;
    private final double computeSeconds;
    final List<String> ops = new ArrayList<>();
    final List<String> violations = new ArrayList<>();

    private double copyClock, computeClock, stallSeconds, copyBusySeconds;
    private final double[] readyTime, freeTime, lastComputeEnd;
    private final int[] readyLayer, slotLayer, waitedLayer;
    private final boolean[] slotUnconsumed;

    SimulatedStreamDevice(long[] layerBytes, int slots, double bytesPerSecond, double computeSeconds) {
        this.layerBytes = layerBytes;
        this.bytesPerSecond = bytesPerSecond;
        this.computeSeconds = computeSeconds;
        int r = Math.max(1, slots);
        readyTime = new double[r];
        freeTime = new double[r];
        lastComputeEnd = new double[r];
        readyLayer = new int[r];
        slotLayer = new int[r];
        waitedLayer = new int[r];
        slotUnconsumed = new boolean[r];
        java.util.Arrays.fill(readyLayer, -1);
        java.util.Arrays.fill(slotLayer, -1);
        java.util.Arrays.fill(waitedLayer, -1);
    }

    @Override
    public void copyLayer(int layer, int slot) {
        ops.add("copy L" + layer + "->s" + slot);
        if (slotUnconsumed[slot]) violations.add("copy of L" + layer + " overwrites s" + slot + " before L" + slotLayer[slot] + " was computed");
        if (copyClock < lastComputeEnd[slot]) {
            violations.add("copy of L" + layer + " into s" + slot + " starts at " + copyClock + " while compute uses it until " + lastComputeEnd[slot]);
        }
        double t = layerBytes[layer] / bytesPerSecond;
        copyClock += t;
        copyBusySeconds += t;
        slotLayer[slot] = layer;
        slotUnconsumed[slot] = true;
    }

    @Override
    public void recordLayerReady(int slot) {
        ops.add("ready s" + slot);
        readyTime[slot] = copyClock;
        readyLayer[slot] = slotLayer[slot];
    }

    @Override
    public void copyWaitSlotFree(int slot) {
        ops.add("copy waits free s" + slot);
        copyClock = Math.max(copyClock, freeTime[slot]);
    }

    @Override
    public void computeWaitLayerReady(int slot) {
        ops.add("compute waits ready s" + slot);
        if (readyTime[slot] > computeClock) stallSeconds += readyTime[slot] - computeClock;
        computeClock = Math.max(computeClock, readyTime[slot]);
        waitedLayer[slot] = readyLayer[slot];
    }

    @Override
    public void computeLayer(int layer, int slot) {
        ops.add("compute L" + layer + (slot < 0 ? " resident" : " on s" + slot));
        if (slot >= 0) {
            if (waitedLayer[slot] != layer) {
                violations.add("compute of L" + layer + " on s" + slot + " waited for L" + waitedLayer[slot] + " instead");
            }
            if (slotLayer[slot] != layer) violations.add("s" + slot + " holds L" + slotLayer[slot] + " when L" + layer + " computes");
            slotUnconsumed[slot] = false;
        }
        computeClock += computeSeconds;
        if (slot >= 0) lastComputeEnd[slot] = computeClock;
    }

    @Override
    public void recordSlotFree(int slot) {
        ops.add("free s" + slot);
        freeTime[slot] = computeClock;
    }

    double stallSeconds() { return stallSeconds; }
    double computeClock() { return computeClock; }
    double copyBusySeconds() { return copyBusySeconds; }
}
