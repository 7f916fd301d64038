package dev.sequoia.engine.format.gguf;

import java.util.List;

/** A GGUF metadata array: its element type and its values (boxed as {@link GgufReader} reads scalars). */
public record GgufArray(GgufValueType elementType, List<Object> values) {
    public GgufArray {
        values = List.copyOf(values);
    }

    public int size() { return values.size(); }
}
