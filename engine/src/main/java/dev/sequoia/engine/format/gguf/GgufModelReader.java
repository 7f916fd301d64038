package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.LlamaTensorMapper;
import dev.sequoia.engine.format.MappedFiles;
import dev.sequoia.engine.format.TensorNames;
import dev.sequoia.engine.format.TensorSlice;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.Model;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads a Llama model from a GGUF file: maps it into the caller's arena, reads its structure, config,
 * weights (views of the mapping) and the tokenizer stored in the file. A split model ({@link GgufSplit}) is
 * opened by its first part: every part is mapped, and each tensor is a view of its own part, with its file
 * and offset recorded in {@link Model#locations()}.
 */
public final class GgufModelReader {
    private GgufModelReader() {}

    public static Model read(Path file, Arena arena) {
        GgufFile first = GgufReader.read(file, MappedFiles.map(file, arena));
        List<GgufFile> parts = GgufSplit.openParts(file, first, arena);
        Map<String, TensorSlice> tensors = new LinkedHashMap<>();
        for (GgufFile part : parts) tensors.putAll(GgufReader.slices(part));
        LlamaConfig config = GgufLlamaConfig.read(first, tensors);
        var weights = new LlamaTensorMapper(file, config, tensors, TensorNames.GGUF).map();
        return new Model(file, "gguf", config, weights, GgufTokenizers.read(first), TensorSlice.locations(tensors),
                first.metadata().has(GgufTokenizers.CHAT_TEMPLATE) ? first.metadata().string(GgufTokenizers.CHAT_TEMPLATE) : null);
    }
}
