package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.LlamaTensorMapper;
import dev.sequoia.engine.format.MappedFiles;
import dev.sequoia.engine.format.TensorNames;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.Model;

import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * Loads a Llama model from a GGUF file: maps it into the caller's arena, reads its structure, config,
 * weights (views of the mapping) and the tokenizer stored in the file.
 */
public final class GgufModelReader {
    private GgufModelReader() {}

    public static Model read(Path file, Arena arena) {
        GgufFile f = GgufReader.read(file, MappedFiles.map(file, arena));
        LlamaConfig config = GgufLlamaConfig.read(f);
        var weights = new LlamaTensorMapper(file, config, GgufReader.slices(f), TensorNames.GGUF).map();
        return new Model(file, "gguf", config, weights, GgufTokenizers.read(f));
    }
}
