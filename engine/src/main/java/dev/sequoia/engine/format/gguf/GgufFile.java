package dev.sequoia.engine.format.gguf;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;

/**
 * A parsed GGUF file: its version, metadata, tensor infos (in file order) and the mapped bytes, with the
 * offset at which the (aligned) tensor-data section starts. Tensor data is not read.
 */
public record GgufFile(Path path, int version, GgufMetadata metadata, Map<String, GgufTensorInfo> tensors,
                       long alignment, long dataStart, MemorySegment mapping) {
    public GgufFile {
        tensors = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tensors));
    }
}
