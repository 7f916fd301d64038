package dev.sequoia.engine.format.synthetic;

import dev.sequoia.engine.format.BundledModels;
import dev.sequoia.engine.format.FileType;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.tensor.TensorType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * Planted models of the bundled stories260K generated once and reused:
 * {@code <dir>/<shape>-<type>-stories260K-s<seed>.gguf}. See {@link PlantedModels}: a benchmark and
 * demonstration model, not a trained large model.
 */
public final class PlantedCache {
    private PlantedCache() {}

    /** The default folder, {@code ~/.cache/sequoia/planted}. */
    public static Path defaultDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "sequoia", "planted");
    }

    /** The planted file of a preset shape, written on first use; {@code progress} is told its total size first. */
    public static Path gguf(Path dir, String shape, TensorType type, long seed, BundledModels small,
                            ProgressFactory progress) {
        return gguf(dir, shape, FileType.of(type), seed, small, progress);
    }

    /** As above for a file type (the K-quant mixes: Q4_K_M and friends, as llama.cpp writes them). */
    public static Path gguf(Path dir, String shape, FileType type, long seed, BundledModels small,
                            ProgressFactory progress) {
        Path file = dir.resolve(shape + "-" + type.name() + "-stories260K-s" + seed + ".gguf");
        if (Files.isRegularFile(file)) return file;
        try (Arena arena = Arena.ofConfined()) {
            PlantedModels planted = new PlantedModels(ShapePresets.load(shape),
                    ModelLoader.load(small.target(), small.tokenizer(), arena), type, seed);
            planted.writeGguf(file, progress.forTotal(file, planted.fileSize()));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the planted model " + file + ": " + e.getMessage(), e);
        }
    }

    /** Makes the progress listener of one write, given the file and its size in bytes. */
    @FunctionalInterface
    public interface ProgressFactory {
        LongConsumer forTotal(Path file, long bytes);
    }
}
