package dev.sequoia.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A typed, read-only view of a weight matrix stored row-major as {@code (rows = out, cols = in)}, the
 * llama2.c / GGML layout: {@code y = W x} reads one row per output. The segment usually slices a
 * memory-mapped model file; nothing is copied.
 *
 * @param name  the tensor's name in its file (for error messages and telemetry)
 * @param type  element type
 * @param rows  output dimension
 * @param cols  input dimension (a multiple of the type's block size)
 * @param data  exactly {@code rows * type.byteSize(cols)} bytes
 */
public record WeightMatrix(String name, TensorType type, int rows, int cols, MemorySegment data) {
    public WeightMatrix {
        Objects.requireNonNull(name);
        Objects.requireNonNull(type);
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException(name + ": shape must be positive, got " + rows + "x" + cols);
        }
        long expected = rows * type.byteSize(cols);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(name + ": " + type + " " + rows + "x" + cols + " needs " + expected
                    + " bytes, the view has " + data.byteSize());
        }
    }

    /** Bytes of one row. */
    public long rowBytes() { return type.byteSize(cols); }

    /** Total bytes of the matrix (what one full read of it streams). */
    public long byteSize() { return data.byteSize(); }

    /** The same matrix over other memory (a streamed copy in a slot, say). */
    public WeightMatrix withData(MemorySegment other) {
        return new WeightMatrix(name, type, rows, cols, other);
    }
}
