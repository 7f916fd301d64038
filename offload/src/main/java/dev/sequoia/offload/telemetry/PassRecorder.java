package dev.sequoia.offload.telemetry;

/**
 * Accumulates one pass's telemetry. Written only by the compute thread (the loader's timings travel to it
 * inside slot events), so it needs no synchronization.
 */
public final class PassRecorder {
    private long passStart;
    private int layers;
    private long bytes, stall, load;

    public void begin() {
        passStart = System.nanoTime();
        layers = 0;
        bytes = stall = load = 0;
    }

    public void layer(long layerBytes, long loadNanos, long stallNanos) {
        layers++;
        bytes += layerBytes;
        load += loadNanos;
        stall += stallNanos;
    }

    public PassTelemetry end() {
        return new PassTelemetry(layers, bytes, System.nanoTime() - passStart, stall, load);
    }
}
