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
 * The CPU tier's loader: each layer is a list of extents of the model file, read with direct I/O (several
 * reads in flight) into one contiguous, aligned slot in RAM. Also makes the one-time copies of resident
 * layers, through the same path, so nothing depends on the page cache.
 *
 * <p>Owns the {@link DirectFile} and the {@link ParallelReader}; closing the tier closes both. The memory
 * it reads into belongs to the caller.
 */
public final class DiskTier implements LayerLoader, AutoCloseable {
    /** Covering ranges closer than this are read as one (the norm vectors between a layer's tensors). */
    public static final long MERGE_GAP = 64 * 1024;

    private final DirectFile file;
    private final ParallelReader reader;
    private final List<AlignedLayout> layouts;

    private DiskTier(DirectFile file, ParallelReader reader, List<AlignedLayout> layouts) {
        this.file = file;
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
        List<AlignedLayout> layouts = layerExtents.stream()
                .map(e -> AlignedLayout.of(e, DirectFile.ALIGNMENT, MERGE_GAP)).toList();
        DirectFile file = DirectFile.open(path);
        try {
            return new DiskTier(file, new ParallelReader(file, readers, chunkBytes), layouts);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public DirectFile file() { return file; }

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
        reader.close();
        file.close();
    }
}
