package dev.sequoia.engine.format.synthetic;

import dev.sequoia.engine.format.FileType;
import dev.sequoia.engine.tensor.TensorType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Synthetic models generated once and reused: {@code <dir>/<shape>-<type>-s<seed>.gguf}, written to a
 * partial file and moved into place, so an interrupted run never leaves a truncated model behind.
 */
public final class SyntheticCache {
    private SyntheticCache() {}

    /** The default folder, {@code ~/.cache/sequoia/synthetic}. */
    public static Path defaultDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "sequoia", "synthetic");
    }

    /** The GGUF file of a preset shape, type and seed, generated on first use. */
    public static Path gguf(Path dir, String shape, TensorType type, long seed) {
        return gguf(dir, shape, ShapePresets.load(shape), FileType.of(type), seed);
    }

    /** The GGUF file of a preset shape, file type (a K-quant mix, say) and seed, generated on first use. */
    public static Path gguf(Path dir, String shape, FileType type, long seed) {
        return gguf(dir, shape, ShapePresets.load(shape), type, seed);
    }

    public static Path gguf(Path dir, String name, dev.sequoia.engine.model.LlamaConfig shape, TensorType type, long seed) {
        return gguf(dir, name, shape, FileType.of(type), seed);
    }

    /**
     * The GGUF file of a shape (named {@code name} in the file name), generated on first use. Weights are
     * seeded per tensor name, so a shape with fewer layers and the same seed is the same model truncated
     * after its first layers: a self-speculative draft of it.
     */
    public static Path gguf(Path dir, String name, dev.sequoia.engine.model.LlamaConfig shape, FileType type, long seed) {
        Path file = dir.resolve(name + "-" + type.name() + "-s" + seed + ".gguf");
        if (Files.isRegularFile(file)) return file;
        try {
            Files.createDirectories(dir);
            Path partial = Files.createTempFile(dir, file.getFileName().toString(), ".partial");
            try {
                new SyntheticModels(shape, type, seed).writeGguf(partial);
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(partial);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the synthetic model " + file + ": " + e.getMessage(), e);
        }
    }
}
