package dev.sequoia.engine.format;

import dev.sequoia.engine.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One named tensor of a model file as the file describes it: its element type, its shape outer-first
 * ({@code (rows, cols)} for a matrix stored row-major, {@code (n)} for a vector) and a view of its bytes.
 * GGUF lists dims inner-first; its reader reverses them into this order.
 */
public record TensorSlice(String name, TensorType type, long[] shape, MemorySegment data) {
    public TensorSlice {
        shape = shape.clone();
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
