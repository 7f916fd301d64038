package dev.sequoia.offload.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Measures the disk's sequential direct-I/O bandwidth on the model file itself, through the same reader
 * the streamer uses (same threads, same chunk size): the ceiling streaming can reach in this run.
 */
public final class DiskProbe {
    private DiskProbe() {}

    /** The result: bytes read and the wall time it took. */
    public record Measurement(long bytes, long nanos, boolean direct) {
        public double gbps() { return nanos == 0 ? 0 : (double) bytes / nanos; }
    }

    /**
     * Reads the first {@code maxBytes} of {@code file} (all of it when smaller) in blocks of {@code blockBytes},
     * each block cut into the reader's chunks, into one reused aligned buffer.
     */
    public static Measurement sequential(ParallelReader reader, long maxBytes, long blockBytes) {
        DirectFile file = reader.file();
        long limit = Math.min(maxBytes, file.size() & -(long) DirectFile.ALIGNMENT);
        long block = Math.max(DirectFile.ALIGNMENT, blockBytes & -(long) DirectFile.ALIGNMENT);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(block, DirectFile.ALIGNMENT);
            long start = System.nanoTime(), done = 0;
            for (long at = 0; at < limit; at += block) {
                long len = Math.min(block, limit - at);
                var layout = new AlignedLayout(List.of(new AlignedLayout.Read(at, len, 0, len)), new long[0], len, len);
                done += reader.read(layout, buffer);
            }
            return new Measurement(done, System.nanoTime() - start, file.isDirect());
        }
    }
}
