package dev.sequoia.engine.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Maps model files read-only into a caller's {@link Arena}: the mapping lives until that arena closes, and
 * weights are views into it. Nothing is read here; the OS pages data in when a kernel touches it.
 */
public final class MappedFiles {
    private MappedFiles() {}

    public static MemorySegment map(Path file, Arena arena) {
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file, "not a readable file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + file + ": " + e.getMessage(), e);
        }
    }

    /** The first {@code n} bytes of a file (fewer when it is shorter), for format detection. */
    public static byte[] head(Path file, int n) {
        try (var in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
