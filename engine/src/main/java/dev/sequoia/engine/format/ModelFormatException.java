package dev.sequoia.engine.format;

import java.nio.file.Path;

/**
 * A model, tokenizer or config file that cannot be used: names the file, the field and what was expected.
 */
public class ModelFormatException extends RuntimeException {
    private final Path file;

    public ModelFormatException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    public ModelFormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    public Path file() { return file; }
}
