package dev.sequoia.offload.telemetry;

import java.util.Locale;

/**
 * What streaming did during one forward pass.
 *
 * @param layersStreamed layers that came through a slot
 * @param bytesStreamed  bytes read into slots for this pass
 * @param passNanos      wall time from the pass's start to its end
 * @param stallNanos     time the compute thread waited for a layer
 * @param loadNanos      time the loader spent copying this pass's layers (some of it before the pass began,
 *                       while other work ran: the wrap-around)
 */
public record PassTelemetry(int layersStreamed, long bytesStreamed, long passNanos, long stallNanos, long loadNanos) {
    public static final PassTelemetry NONE = new PassTelemetry(0, 0, 0, 0, 0);

    /** Streamed bytes over the pass's wall time: the bandwidth the forward actually saw, GB/s (10^9). */
    public double achievedGbps() { return passNanos == 0 ? 0 : (double) bytesStreamed / passNanos; }

    /** Share of the pass the compute spent waiting for layers. */
    public double stallFraction() { return passNanos == 0 ? 0 : (double) stallNanos / passNanos; }

    /** Share of the copy time hidden behind other work: 1 - stall / load. */
    public double overlapFraction() {
        return loadNanos == 0 ? 1 : Math.clamp(1 - (double) stallNanos / loadNanos, 0, 1);
    }

    public PassTelemetry plus(PassTelemetry o) {
        return new PassTelemetry(layersStreamed + o.layersStreamed, bytesStreamed + o.bytesStreamed,
                passNanos + o.passNanos, stallNanos + o.stallNanos, loadNanos + o.loadNanos);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d layers, %d bytes in %.1f ms: %.2f GB/s, stall %.1f%%, overlap %.1f%%",
                layersStreamed, bytesStreamed, passNanos / 1e6, achievedGbps(), 100 * stallFraction(),
                100 * overlapFraction());
    }
}
