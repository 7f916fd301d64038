package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The byte image of a layer as the CUDA backend moves it: the seven projections as fp16, row-major, packed
 * back to back in the order q, k, v, o, gate (w1), down (w2), up (w3). Offsets are the same for every layer
 * of a model, so a slot can hold any layer. Host-side conversion from any {@link dev.sequoia.engine.tensor.TensorType}
 * goes through the scalar dequantizer (the reference), then rounds to fp16. {@link Offsets} also lays out the
 * quantized images of {@link LayerFormat} (same order, the projections' blocks instead of halves).
 */
public final class Fp16Layers {
    private Fp16Layers() {}

    public static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Byte offsets of the seven projections inside a layer image, and its total size. The projections are
     * back to back, so a quantized image's block i dequantizes to elements 32i..32i+31 of the fp16 image.
     */
    public record Offsets(long q, long k, long v, long o, long gate, long down, long up, long total) {
        /** The fp16 image. */
        public static Offsets of(int dim, int kvDim, int hidden) {
            return of(LayerFormat.F16, dim, kvDim, hidden);
        }

        /** The image of {@code format}: each projection (rows, cols) takes format.type().byteSize(rows * cols). */
        public static Offsets of(LayerFormat format, int dim, int kvDim, int hidden) {
            var t = format.type();
            long q = 0, k = q + t.byteSize((long) dim * dim), v = k + t.byteSize((long) kvDim * dim);
            long o = v + t.byteSize((long) kvDim * dim), gate = o + t.byteSize((long) dim * dim);
            long down = gate + t.byteSize((long) hidden * dim), up = down + t.byteSize((long) dim * hidden);
            return new Offsets(q, k, v, o, gate, down, up, up + t.byteSize((long) hidden * dim));
        }
    }

    /** Writes layer {@code w}'s projections as fp16 into {@code dst} at the offsets. */
    public static void write(LayerWeights w, Offsets at, MemorySegment dst) {
        if (dst.byteSize() < at.total()) {
            throw new IllegalArgumentException("layer image needs " + at.total() + " bytes, destination has " + dst.byteSize());
        }
        writeMatrix(w.wq(), dst, at.q());
        writeMatrix(w.wk(), dst, at.k());
        writeMatrix(w.wv(), dst, at.v());
        writeMatrix(w.wo(), dst, at.o());
        writeMatrix(w.w1(), dst, at.gate());
        writeMatrix(w.w2(), dst, at.down());
        writeMatrix(w.w3(), dst, at.up());
    }

    /** W (rows, cols) of any type -> fp16 row-major at {@code offset}. */
    public static void writeMatrix(WeightMatrix w, MemorySegment dst, long offset) {
        ScalarMatMul deq = new ScalarMatMul();
        float[] row = new float[w.cols()];
        for (int r = 0; r < w.rows(); r++) {
            deq.dequantizeRow(w, r, row, 0);
            long base = offset + 2L * r * w.cols();
            for (int c = 0; c < row.length; c++) dst.set(F16, base + 2L * c, Float.floatToFloat16(row[c]));
        }
    }
}
