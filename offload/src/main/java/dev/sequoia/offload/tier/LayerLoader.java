package dev.sequoia.offload.tier;

import java.lang.foreign.MemorySegment;

/**
 * Copies one layer's bytes into a slot of the compute tier. Called by the streamer's loader thread only,
 * one layer at a time; an implementation may use more threads inside one call, but every write into the
 * slot must have finished when the call returns or throws (the slot may be freed right after).
 */
@FunctionalInterface
public interface LayerLoader {
    /**
     * Fills {@code slot} with layer {@code layer}.
     *
     * @return the bytes transferred (for bandwidth telemetry)
     * @throws RuntimeException with a message naming the file/offset when the copy fails
     */
    long load(int layer, MemorySegment slot);
}
