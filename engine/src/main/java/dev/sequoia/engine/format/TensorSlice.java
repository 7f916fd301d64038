package dev.sequoia.engine.format;

import dev.sequoia.engine.tensor.TensorLocation;
import dev.sequoia.engine.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One named tensor of a model file as the file describes it: its element type, its shape outer-first
 * ({@code (rows, cols)} for a matrix stored row-major, {@code (n)} for a vector) and a view of its bytes.
 * GGUF lists dims inner-first; its reader reverses them into this order. {@code location} says where the
 * bytes lie in the file (null when they do not come from a file).
 */
public record TensorSlice(String name, TensorType type, long[] shape, MemorySegment data, TensorLocation location) {
    public TensorSlice {
        shape = shape.clone();
    }

    /** A tensor that is not read from a file. */
    public TensorSlice(String name, TensorType type, long[] shape, MemorySegment data) {
        this(name, type, shape, data, null);
    }

    /** The file locations of those {@code tensors} that have one, by name. */
    public static Map<String, TensorLocation> locations(Map<String, TensorSlice> tensors) {
        Map<String, TensorLocation> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            if (t.location() != null) out.put(name, t.location());
        });
        return out;
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public String shapeString() { return Arrays.toString(shape); }

    /** Number of elements (the product of the dims; callers validated it does not overflow). */
    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
