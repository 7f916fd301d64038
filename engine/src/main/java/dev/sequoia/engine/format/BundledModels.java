package dev.sequoia.engine.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The tiny real models that travel with the engine as class-path resources
 * ({@code dev/sequoia/engine/models/stories260K/}): stories260K, its tokenizer tok512 and its distilled draft.
 * Models are memory-mapped, so they are copied once into a cache folder; a copy is replaced when its size
 * differs from the resource's.
 */
public final class BundledModels {
    private static final String RESOURCES = "/dev/sequoia/engine/models/stories260K/";
    public static final String TARGET = "stories260K.bin";
    public static final String TOKENIZER = "tok512.bin";
    public static final String DRAFT = "draft-stories260K-d32.bin";

    private final Path dir;

    private BundledModels(Path dir) {
        this.dir = dir;
    }

    /** The default folder, {@code ~/.cache/sequoia/models/stories260K}. */
    public static Path defaultDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "sequoia", "models", "stories260K");
    }

    /** Copies the bundled files into {@code dir} (once) and returns their places. */
    public static BundledModels extract(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String name : new String[]{TARGET, TOKENIZER, DRAFT}) copy(name, dir.resolve(name));
            return new BundledModels(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the bundled models into " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path target() { return dir.resolve(TARGET); }
    public Path tokenizer() { return dir.resolve(TOKENIZER); }
    public Path draft() { return dir.resolve(DRAFT); }

    private static void copy(String name, Path out) throws IOException {
        var url = BundledModels.class.getResource(RESOURCES + name);
        if (url == null) throw new IOException("the bundled model " + RESOURCES + name + " is missing from the class path");
        var connection = url.openConnection();
        long size = connection.getContentLengthLong();
        if (Files.isRegularFile(out) && Files.size(out) == size) return;
        Path partial = Files.createTempFile(out.getParent(), name, ".partial");
        try (InputStream in = connection.getInputStream()) {
            Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
    }
}
