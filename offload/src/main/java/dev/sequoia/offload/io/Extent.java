package dev.sequoia.offload.io;

/**
 * A byte range {@code [offset, offset + length)} of a model file: one tensor's bytes, say.
 */
public record Extent(long offset, long length) {
    public Extent {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("extent needs offset >= 0 and length > 0, got offset=" + offset
                    + " length=" + length);
        }
    }

    public long end() { return offset + length; }
}
