package dev.sequoia.engine.format;

import dev.sequoia.engine.tokenizer.Llama2cTokenizerFile;
import dev.sequoia.engine.tokenizer.Tokenizer;
import dev.sequoia.engine.tokenizer.TokenizerJson;

import java.nio.file.Path;

/**
 * Reads a tokenizer given separately from the model: a Hugging Face {@code tokenizer.json} (by its
 * extension), else a llama2.c tokenizer file ({@code tok512.bin}) read for exactly the model's vocabulary.
 */
public final class TokenizerFiles {
    private TokenizerFiles() {}

    public static Tokenizer read(Path file, int modelVocabSize) {
        try {
            if (file.getFileName().toString().endsWith(".json")) return TokenizerJson.read(file);
            return Llama2cTokenizerFile.read(file, modelVocabSize);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "tokenizer: " + e.getMessage(), e);
        }
    }
}
