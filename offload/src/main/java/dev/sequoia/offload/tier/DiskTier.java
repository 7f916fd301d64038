package dev.sequoia.offload.tier;

import dev.sequoia.offload.io.AlignedLayout;
import dev.sequoia.offload.io.DirectFile;
import dev.sequoia.offload.io.Extent;
import dev.sequoia.offload.io.ParallelReader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * The CPU tier's loader: each layer is a list of extents of the model's files (one, or one per part of a
 * split model), read with direct I/O (several
 * reads in flight) into one contiguous, aligned slot in RAM. Also makes the one-time copies of resident
 * layers, through the same path, so nothing depends on the page cache.
 *
 * <p>Owns the {@link DirectFile}s and the {@link ParallelReader}; closing the tier closes them. The memory
 * it reads into belongs to the caller.
 */
public final class DiskTier implements LayerLoader, AutoCloseable {
    /** Covering ranges closer than this are read as one (the norm vectors between a layer's tensors). */
    public static final long MERGE_GAP = 64 * 1024;

    private final List<DirectFile> files;
    private final ParallelReader reader;
    private final List<AlignedLayout> layouts;

    private DiskTier(List<DirectFile> files, ParallelReader reader, List<AlignedLayout> layouts) {
        this.files = files;
        this.reader = reader;
        this.layouts = layouts;
    }

    /**
     * Opens {@code path} for direct reads of the given layers.
     *
     * @param layerExtents per layer, the extents its slot must hold, in the order the caller will look them up
     * @param readers      reader threads (reads in flight)
     * @param chunkBytes   bytes per read
     */
    public static DiskTier open(Path path, List<List<Extent>> layerExtents, int readers, long chunkBytes) {
        return open(List.of(path), layerExtents, readers, chunkBytes);
    }

    /**
     * Opens the model's files (an extent's {@code file} indexes {@code paths}) for direct reads of the given
     * layers; a layer may span files.
     */
    public static DiskTier open(List<Path> paths, List<List<Extent>> layerExtents, int readers, long chunkBytes) {
        for (List<Extent> layer : layerExtents) {
            for (Extent e : layer) {
                if (e.file() >= paths.size()) {
                    throw new IllegalArgumentException("extent of file #" + e.file() + " but the model has "
                            + paths.size() + " file(s)");
                }
            }
        }
        List<AlignedLayout> layouts = layerExtents.stream()
                .map(e -> AlignedLayout.of(e, DirectFile.ALIGNMENT, MERGE_GAP)).toList();
        List<DirectFile> files = new java.util.ArrayList<>();
        try {
            for (Path p : paths) files.add(DirectFile.open(p));
            return new DiskTier(List.copyOf(files), new ParallelReader(files, readers, chunkBytes), layouts);
        } catch (RuntimeException e) {
            files.forEach(DirectFile::close);
            throw e;
        }
    }

    /** The first (or only) file: what the bandwidth probe reads. */
    public DirectFile file() { return files.getFirst(); }

    /** Every file, in extent-index order. */
    public List<DirectFile> files() { return files; }

    public int layers() { return layouts.size(); }

    public AlignedLayout layout(int layer) { return layouts.get(layer); }

    /** Bytes of slot each layer needs, the planner's layer sizes. */
    public long[] slotBytesPerLayer() {
        return layouts.stream().mapToLong(AlignedLayout::slotBytes).toArray();
    }

    @Override
    public long load(int layer, MemorySegment slot) {
        return reader.read(layouts.get(layer), slot);
    }

    /** A resident copy of {@code layer} in memory from {@code arena}, read once. */
    public MemorySegment loadResident(int layer, Arena arena, HostAllocator allocator) {
        MemorySegment copy = allocator.allocate(arena, layouts.get(layer).slotBytes(), DirectFile.ALIGNMENT);
        load(layer, copy);
        return copy;
    }

    @Override
    public void close() {
        try {
            reader.close();
        } finally {
            files.forEach(DirectFile::close);
        }
    }
}
