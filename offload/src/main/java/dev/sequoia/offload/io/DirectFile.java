package dev.sequoia.offload.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A model file opened read-only for direct I/O ({@code O_DIRECT}): reads bypass the page cache, so a model
 * larger than the RAM budget really comes from the disk on every pass. When the filesystem refuses
 * {@code O_DIRECT} (tmpfs, some overlay filesystems) the file is opened buffered instead and
 * {@link #fallbackReason()} says why; the reads stay correct, only the page cache is no longer bypassed.
 *
 * <p>Direct reads need the file offset, the length and the destination address to be multiples of
 * {@link #ALIGNMENT}; {@link AlignedLayout} plans reads that are. Thread-safe: {@code pread} has no shared
 * file position, so any number of threads may read at once. Closed once, by its owner.
 */
public final class DirectFile implements AutoCloseable {
    /** Offset, length and buffer alignment for direct reads (the logical block size of common devices). */
    public static final int ALIGNMENT = 4096;

    private final Path path;
    private final int fd;
    private final long size;
    private final String fallbackReason;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DirectFile(Path path, int fd, long size, String fallbackReason) {
        this.path = path;
        this.fd = fd;
        this.size = size;
        this.fallbackReason = fallbackReason;
    }

    /** Opens {@code path} with {@code O_DIRECT}, or buffered when the filesystem does not support it. */
    public static DirectFile open(Path path) {
        return open(path, true);
    }

    /** Opens {@code path}; {@code direct = false} asks for ordinary buffered reads. */
    public static DirectFile open(Path path, boolean direct) {
        long size;
        try {
            size = Files.size(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open model file " + path + ": " + e.getMessage(), e);
        }
        String name = path.toAbsolutePath().toString();
        if (!direct) return new DirectFile(path, openOrThrow(path, name, 0), size, "buffered reads were requested");
        Posix.Result r = Posix.open(name, Posix.O_RDONLY | Posix.O_CLOEXEC | Posix.O_DIRECT);
        if (!r.failed()) return new DirectFile(path, (int) r.value(), size, null);
        if (r.errno() != Posix.EINVAL) {
            throw new UncheckedIOException(new IOException("cannot open " + path + " for direct I/O: " + Posix.describe(r.errno())));
        }
        return buffered(path, size, r.errno());
    }

    /** The fallback when {@code open(O_DIRECT)} failed with {@code errno}: buffered reads, and why. */
    static DirectFile buffered(Path path, long size, int errno) {
        String why = "the filesystem of " + path + " does not support O_DIRECT (" + Posix.describe(errno)
                + "); reading through the page cache instead";
        return new DirectFile(path, openOrThrow(path, path.toAbsolutePath().toString(), 0), size, why);
    }

    private static int openOrThrow(Path path, String name, int extraFlags) {
        Posix.Result r = Posix.open(name, Posix.O_RDONLY | Posix.O_CLOEXEC | extraFlags);
        if (r.failed()) throw new UncheckedIOException(new IOException("cannot open " + path + ": " + Posix.describe(r.errno())));
        return (int) r.value();
    }

    public Path path() { return path; }

    /** The file's size when it was opened. */
    public long size() { return size; }

    /** True when reads bypass the page cache. */
    public boolean isDirect() { return fallbackReason == null; }

    /** Why the file is read buffered, or null when it is read directly. */
    public String fallbackReason() { return fallbackReason; }

    /**
     * Reads {@code dst.byteSize()} bytes from {@code offset} into {@code dst}, accepting a short read only
     * at the end of the file, and only when at least {@code required} bytes arrived.
     *
     * @return the bytes read
     * @throws FileReadException on an I/O error, or when the file ends before {@code required} bytes
     */
    public long read(long offset, MemorySegment dst, long required) {
        if (closed.get()) throw new IllegalStateException(path + " is closed");
        long done = 0, want = dst.byteSize();
        while (done < want) {
            Posix.Result r = Posix.pread(fd, dst.asSlice(done), want - done, offset + done);
            if (r.failed()) {
                if (r.errno() == Posix.EINTR) continue;
                throw new FileReadException(path, offset + done, "read of " + (want - done) + " bytes failed: "
                        + Posix.describe(r.errno()));
            }
            if (r.value() == 0) break;
            done += r.value();
        }
        if (done < required) {
            throw new FileReadException(path, offset, "file truncated: needed bytes [" + offset + ", "
                    + (offset + required) + ") but the file ends at " + (offset + done));
        }
        return done;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Posix.Result r = Posix.close(fd);
            if (r.failed()) throw new UncheckedIOException(new IOException("close " + path + ": " + Posix.describe(r.errno())));
        }
    }
}
