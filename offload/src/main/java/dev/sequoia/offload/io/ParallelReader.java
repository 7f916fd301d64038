package dev.sequoia.offload.io;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Executes an {@link AlignedLayout}'s reads into a slot with several reads in flight: every read is cut
 * into aligned chunks of at most {@code chunkBytes}, and a small pool of reader threads {@code pread}s them
 * concurrently (NVMe and network disks need a queue depth above one to reach their bandwidth). With one
 * thread the chunks are read in order on the caller's thread.
 *
 * <p>Owns its reader threads (daemon, named {@code sequoia-reader-N}); {@link #close()} stops them. The
 * {@link DirectFile}s belong to the caller. A read's {@code file} indexes the list of files given (a split
 * model has one per part). {@link #read} may be called by one thread at a time.
 */
public final class ParallelReader implements AutoCloseable {
    private final List<DirectFile> files;
    private final long chunkBytes;
    private final ExecutorService pool;

    public ParallelReader(DirectFile file, int threads, long chunkBytes) {
        this(List.of(file), threads, chunkBytes);
    }

    /** A reader over several files, which reads name by their index in {@code files}. */
    public ParallelReader(List<DirectFile> files, int threads, long chunkBytes) {
        if (files.isEmpty()) throw new IllegalArgumentException("a reader needs at least one file");
        if (threads < 1) throw new IllegalArgumentException("reader threads must be >= 1, got " + threads);
        if (chunkBytes < DirectFile.ALIGNMENT || chunkBytes % DirectFile.ALIGNMENT != 0) {
            throw new IllegalArgumentException("read chunk must be a positive multiple of " + DirectFile.ALIGNMENT
                    + " bytes, got " + chunkBytes);
        }
        this.files = List.copyOf(files);
        this.chunkBytes = chunkBytes;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, Thread.ofPlatform().daemon()
                .name("sequoia-reader-", 0).factory());
    }

    /** The first (or only) file. */
    public DirectFile file() { return files.getFirst(); }

    /**
     * Reads every read of {@code layout} into {@code slot} (at least {@code layout.slotBytes()} long and
     * aligned to {@link DirectFile#ALIGNMENT}).
     *
     * @return the bytes that came from the file
     * @throws FileReadException when any chunk fails or the file is too short
     */
    public long read(AlignedLayout layout, MemorySegment slot) {
        if (slot.byteSize() < layout.slotBytes()) {
            throw new IllegalArgumentException("slot of " + slot.byteSize() + " bytes cannot hold a layer of "
                    + layout.slotBytes() + " bytes");
        }
        if (slot.address() % DirectFile.ALIGNMENT != 0) {
            throw new IllegalArgumentException("slot address " + slot.address() + " is not " + DirectFile.ALIGNMENT + "-aligned");
        }
        List<Chunk> chunks = chunks(layout);
        if (pool == null) {
            long total = 0;
            for (Chunk c : chunks) total += c.readInto(files, slot);
            return total;
        }
        List<Future<Long>> futures = new ArrayList<>(chunks.size());
        for (Chunk c : chunks) futures.add(pool.submit(() -> c.readInto(files, slot)));
        return await(futures);
    }

    private record Chunk(int file, long fileOffset, long length, long slotOffset, long required) {
        long readInto(List<DirectFile> files, MemorySegment slot) {
            if (file >= files.size()) {
                throw new IllegalArgumentException("read of file #" + file + " but the reader has " + files.size());
            }
            return files.get(file).read(fileOffset, slot.asSlice(slotOffset, length), required);
        }
    }

    private List<Chunk> chunks(AlignedLayout layout) {
        List<Chunk> out = new ArrayList<>();
        for (AlignedLayout.Read r : layout.reads()) {
            for (long at = 0; at < r.length(); at += chunkBytes) {
                long len = Math.min(chunkBytes, r.length() - at);
                long required = Math.clamp(r.required() - at, 0, len);
                out.add(new Chunk(r.file(), r.fileOffset() + at, len, r.slotOffset() + at, required));
            }
        }
        return out;
    }

    private static long await(List<Future<Long>> futures) {
        long total = 0;
        RuntimeException first = null;
        for (Future<Long> f : futures) {
            try {
                total += f.get();
            } catch (ExecutionException e) {
                if (first == null) first = e.getCause() instanceof RuntimeException re ? re
                        : new IllegalStateException("reader thread failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                futures.forEach(x -> x.cancel(true));
                throw new IllegalStateException("interrupted while reading layer bytes", e);
            }
        }
        if (first != null) throw first;
        return total;
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
