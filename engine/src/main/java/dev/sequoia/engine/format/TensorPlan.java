package dev.sequoia.engine.format;

import dev.sequoia.engine.tensor.TensorType;

/**
 * A tensor a writer is about to stream: its name, stored type, shape outer-first ({@code (rows, cols)} or
 * {@code (n)}) and where its rows come from. Writers ask for one row at a time, so a multi-gigabyte model
 * is never held in memory.
 */
public record TensorPlan(String name, TensorType type, long[] shape, RowSource rows) {
    /** Produces row {@code row} of a tensor as floats (length = cols). */
    @FunctionalInterface
    public interface RowSource {
        void fill(int row, float[] out);
    }

    public TensorPlan {
        shape = shape.clone();
        if (shape.length < 1 || shape.length > 2) throw new IllegalArgumentException(name + ": 1-D or 2-D only");
        type.byteSize(shape[shape.length - 1]); // rejects rows that are not whole blocks
    }

    public int rowCount() { return shape.length == 1 ? 1 : Math.toIntExact(shape[0]); }
    public int cols() { return Math.toIntExact(shape[shape.length - 1]); }
    public long rowBytes() { return type.byteSize(cols()); }
    public long byteSize() { return rowCount() * rowBytes(); }
    @Override public long[] shape() { return shape.clone(); }
}
