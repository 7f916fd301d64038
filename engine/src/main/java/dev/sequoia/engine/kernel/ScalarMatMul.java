package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The plain scalar twin of every kernel: one element at a time, in the obvious order. It is the reference
 * the fast kernels are tested against, and slow on purpose.
 */
public final class ScalarMatMul implements MatMul {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public void gemm(WeightMatrix w, float[] x, float[] out, int n) {
        int rows = w.rows(), cols = w.cols();
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            dequantizeRow(w, r, row, 0);
            for (int t = 0; t < n; t++) {
                float sum = 0f;
                int base = t * cols;
                for (int c = 0; c < cols; c++) sum += row[c] * x[base + c];
                out[t * rows + r] = sum;
            }
        }
    }

    @Override
    public void dequantizeRow(WeightMatrix w, int row, float[] dst, int dstOffset) {
        MemorySegment d = w.data();
        long base = row * w.rowBytes();
        int cols = w.cols();
        switch (w.type()) {
            case F32 -> {
                for (int c = 0; c < cols; c++) dst[dstOffset + c] = d.get(F32, base + 4L * c);
            }
            case F16 -> {
                for (int c = 0; c < cols; c++) dst[dstOffset + c] = Float.float16ToFloat(d.get(I16, base + 2L * c));
            }
            case BF16 -> {
                for (int c = 0; c < cols; c++) dst[dstOffset + c] = bf16ToFloat(d.get(I16, base + 2L * c));
            }
            case Q8_0 -> {
                for (int b = 0; b < cols / 32; b++) {
                    long blk = base + 34L * b;
                    float scale = Float.float16ToFloat(d.get(I16, blk));
                    for (int i = 0; i < 32; i++) {
                        dst[dstOffset + b * 32 + i] = scale * d.get(ValueLayout.JAVA_BYTE, blk + 2 + i);
                    }
                }
            }
            case Q4_0 -> {
                // GGML layout: byte j holds element j in its low nibble and element j+16 in its high nibble.
                for (int b = 0; b < cols / 32; b++) {
                    long blk = base + 18L * b;
                    float scale = Float.float16ToFloat(d.get(I16, blk));
                    for (int j = 0; j < 16; j++) {
                        int q = d.get(ValueLayout.JAVA_BYTE, blk + 2 + j) & 0xFF;
                        dst[dstOffset + b * 32 + j] = scale * ((q & 0x0F) - 8);
                        dst[dstOffset + b * 32 + j + 16] = scale * ((q >>> 4) - 8);
                    }
                }
            }
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> {
                int bytes = w.type().bytesPerBlock();
                for (int b = 0; b < cols / KQuantBlocks.QK; b++) {
                    KQuantBlocks.decode(w.type(), d, base + (long) bytes * b, dst, dstOffset + b * KQuantBlocks.QK);
                }
            }
        }
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
