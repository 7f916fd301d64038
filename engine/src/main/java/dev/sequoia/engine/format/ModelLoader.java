package dev.sequoia.engine.format;

import dev.sequoia.engine.format.gguf.GgufModelReader;
import dev.sequoia.engine.format.gguf.GgufReader;
import dev.sequoia.engine.format.llama2c.Llama2cReader;
import dev.sequoia.engine.format.safetensors.SafetensorsModelReader;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.tokenizer.Tokenizer;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one entry point for loading a model: detects the format (a folder is a Hugging Face safetensors
 * model, a file starting with "GGUF" is GGUF, any other file a llama2.c checkpoint), maps it into the
 * caller's arena and returns the model. Weights are views of the mapping: they live until the arena closes.
 * A tokenizer given separately replaces the one stored in the model.
 */
public final class ModelLoader {
    private ModelLoader() {}

    public static Model load(Path modelFileOrDir, Path tokenizerOrNull, Arena arena) {
        Model model = switch (detect(modelFileOrDir)) {
            case GGUF -> GgufModelReader.read(modelFileOrDir, arena);
            case LLAMA2C -> readLlama2c(modelFileOrDir, arena);
            case SAFETENSORS -> SafetensorsModelReader.read(modelFileOrDir, arena);
        };
        if (tokenizerOrNull == null) return model;
        Tokenizer tokenizer = TokenizerFiles.read(tokenizerOrNull, model.config().vocabSize());
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new ModelFormatException(tokenizerOrNull, "tokenizer has " + tokenizer.vocabSize()
                    + " tokens, more than the model's vocabulary of " + model.config().vocabSize());
        }
        return model.withTokenizer(tokenizer);
    }

    /** llama2.c files have no magic: say so when one does not parse, since it may be a damaged GGUF. */
    private static Model readLlama2c(Path file, Arena arena) {
        try {
            return Llama2cReader.read(file, arena);
        } catch (ModelFormatException e) {
            String msg = e.getMessage().substring(file.toString().length() + 2);
            throw new ModelFormatException(file, "no GGUF magic, so read as a llama2.c checkpoint: " + msg, e);
        }
    }

    /** The model formats this loader reads. */
    public enum Format { GGUF, SAFETENSORS, LLAMA2C }

    public static Format detect(Path modelFileOrDir) {
        if (Files.isDirectory(modelFileOrDir)) return Format.SAFETENSORS;
        if (!Files.isRegularFile(modelFileOrDir)) {
            throw new ModelFormatException(modelFileOrDir, "no such model file or folder");
        }
        byte[] head = MappedFiles.head(modelFileOrDir, 4);
        boolean gguf = head.length == 4
                && ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt() == GgufReader.MAGIC;
        boolean ggufName = modelFileOrDir.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf");
        return gguf || ggufName ? Format.GGUF : Format.LLAMA2C; // a .gguf without magic gets "bad magic"
    }
}
