package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.MappedFiles;
import dev.sequoia.engine.tensor.TensorType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Test helper: a copy of a GGUF file with some metadata keys dropped or added and some tensors dropped,
 * replaced or added, everything else byte for byte (through {@link GgufAssembler}). Builds the variants a
 * converter would have written: Llama 3.1's {@code rope_freqs.weight}, tied embeddings, declared eot ids.
 */
final class GgufRewrite {
    private final Path source;
    private final Set<String> dropKeys = new java.util.HashSet<>();
    private final Map<String, Object> addKeys = new LinkedHashMap<>();
    private final Set<String> dropTensors = new java.util.HashSet<>();
    private final Map<String, String> copyTensor = new LinkedHashMap<>();
    private final Map<String, float[]> addF32 = new LinkedHashMap<>();

    GgufRewrite(Path source) { this.source = source; }

    GgufRewrite dropKey(String key) { dropKeys.add(key); return this; }
    GgufRewrite putKey(String key, Object value) { dropKeys.add(key); addKeys.put(key, value); return this; }
    GgufRewrite dropTensor(String name) { dropTensors.add(name); return this; }
    /** Tensor {@code name}'s bytes become those of tensor {@code from}. */
    GgufRewrite copyTensor(String name, String from) { copyTensor.put(name, from); return this; }
    GgufRewrite addF32(String name, float[] values) { addF32.put(name, values.clone()); return this; }

    Path writeTo(Path out) {
        try (Arena arena = Arena.ofConfined()) {
            GgufFile f = GgufReader.read(source, MappedFiles.map(source, arena));
            List<byte[]> entries = new ArrayList<>();
            for (String key : f.metadata().keys()) {
                if (dropKeys.contains(key) || key.equals("general.alignment")) continue;
                entries.add(f.metadata().encoded(key).toArray(ValueLayout.JAVA_BYTE));
            }
            addKeys.forEach((k, v) -> entries.add(GgufWriter.encodeEntry(k, v)));
            List<GgufAssembler.RawTensor> tensors = new ArrayList<>();
            for (GgufTensorInfo t : f.tensors().values()) {
                if (dropTensors.contains(t.name())) continue;
                GgufTensorInfo from = f.tensors().get(copyTensor.getOrDefault(t.name(), t.name()));
                GgufAssembler.RawTensor raw = GgufAssembler.RawTensor.of(f, from, bytes(from));
                tensors.add(new GgufAssembler.RawTensor(t.name(), t.ne(), from.ggmlType(), raw.data()));
            }
            addF32.forEach((name, v) -> {
                java.nio.ByteBuffer le = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                le.asFloatBuffer().put(v);
                tensors.add(new GgufAssembler.RawTensor(name, new long[] {v.length}, TensorType.F32.ggmlId(),
                        MemorySegment.ofArray(le.array())));
            });
            GgufAssembler.write(out, entries, tensors, (int) f.alignment());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long bytes(GgufTensorInfo t) {
        long n = 1;
        for (long d : t.ne()) n *= d;
        return TensorType.fromGgmlId(t.ggmlType()).byteSize(n);
    }
}
