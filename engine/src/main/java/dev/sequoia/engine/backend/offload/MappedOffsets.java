package dev.sequoia.engine.backend.offload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates an address inside a memory-mapped file back to (file, offset), from the kernel's own table of
 * this process's mappings ({@code /proc/self/maps}). The loaders hand out weights as views of a mapping and
 * keep no offsets; this recovers them, so the streamer can read the same bytes with direct I/O.
 * Linux only. Immutable snapshot: take it after the model is mapped.
 */
public final class MappedOffsets {
    private record Mapping(long start, long end, long fileOffset, Path file) {}

    private final List<Mapping> mappings;

    private MappedOffsets(List<Mapping> mappings) {
        this.mappings = mappings;
    }

    /** The current mappings of this process. */
    public static MappedOffsets snapshot() {
        Path maps = Path.of("/proc/self/maps");
        List<Mapping> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(maps)) {
                Mapping m = parse(line);
                if (m != null) out.add(m);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + maps + " to locate mapped weights (Linux only): " + e.getMessage(), e);
        }
        return new MappedOffsets(List.copyOf(out));
    }

    /** "start-end perms offset dev inode path": null for anonymous mappings. */
    private static Mapping parse(String line) {
        String[] f = line.trim().split("\\s+", 6);
        if (f.length < 6 || !f[5].startsWith("/")) return null;
        String[] range = f[0].split("-");
        return new Mapping(Long.parseUnsignedLong(range[0], 16), Long.parseUnsignedLong(range[1], 16),
                Long.parseUnsignedLong(f[2], 16), Path.of(f[5]));
    }

    /**
     * The offset in {@code file} of the first byte of {@code view}, which must lie wholly inside one mapping
     * of that file.
     */
    public long fileOffset(MemorySegment view, Path file, String what) {
        long addr = view.address();
        Path want = file.toAbsolutePath().normalize();
        for (Mapping m : mappings) {
            if (addr >= m.start && addr + view.byteSize() <= m.end && sameFile(m.file, want)) {
                return m.fileOffset + (addr - m.start);
            }
        }
        throw new IllegalArgumentException(what + " is not a view of a memory mapping of " + file
                + ": streaming needs weights mapped from the model file");
    }

    private static boolean sameFile(Path mapped, Path want) {
        if (mapped.equals(want)) return true;
        try {
            return Files.exists(mapped) && Files.isSameFile(mapped, want);
        } catch (IOException e) {
            return false;
        }
    }
}
