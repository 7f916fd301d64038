package dev.sequoia.offload.stream;

/**
 * One entry of a slot ring, preallocated by the ring and overwritten in place by the producer. Consumers
 * read it through {@link #snapshot()} before advancing past it.
 */
final class SlotEvent {
    int slot;
    int layer;
    long sequence;
    long bytes;
    long loadNanos;
    Throwable error;

    /** What a consumer keeps: "slot {@code slot} now holds layer {@code layer}" (or failed to). */
    record Snapshot(int slot, int layer, long sequence, long bytes, long loadNanos, Throwable error) {}

    Snapshot snapshot() { return new Snapshot(slot, layer, sequence, bytes, loadNanos, error); }

    void set(int slot, int layer, long sequence, long bytes, long loadNanos, Throwable error) {
        this.slot = slot;
        this.layer = layer;
        this.sequence = sequence;
        this.bytes = bytes;
        this.loadNanos = loadNanos;
        this.error = error;
    }
}
