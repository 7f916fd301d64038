package dev.sequoia.offload.io;

/**
 * A byte range {@code [offset, offset + length)} of one of a model's files: one tensor's bytes, say.
 * {@code file} indexes the model's list of files (0 for a single-file model; a split GGUF has one per part).
 */
public record Extent(int file, long offset, long length) {
    public Extent {
        if (file < 0 || offset < 0 || length <= 0) {
            throw new IllegalArgumentException("extent needs file >= 0, offset >= 0 and length > 0, got file=" + file
                    + " offset=" + offset + " length=" + length);
        }
    }

    /** A range of the model's first (or only) file. */
    public Extent(long offset, long length) {
        this(0, offset, length);
    }

    public long end() { return offset + length; }
}
