package dev.sequoia.offload.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A read of model bytes failed: an I/O error, or the file ended before the bytes a layer needs (a file
 * truncated while it was being streamed). The message names the file, the byte range and the cause.
 */
public final class FileReadException extends UncheckedIOException {
    private final Path file;
    private final long offset;

    public FileReadException(Path file, long offset, String message) {
        super(file + " at offset " + offset + ": " + message, new IOException(message));
        this.file = file;
        this.offset = offset;
    }

    public Path file() { return file; }

    public long offset() { return offset; }
}
