package dev.sequoia.engine.format;

import dev.sequoia.engine.tensor.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Encodes one row of floats into a tensor type's little-endian bytes: F32, F16, BF16 (round to nearest
 * even), the GGML block quantizers Q8_0 and Q4_0 (byte-identical to ggml's reference quantizers) and the
 * K-quants ({@link KQuantEncoder}). The decoding side is {@code ScalarMatMul.dequantizeRow}; tests hold the
 * two against each other.
 */
public final class RowEncoder {
    private static final int BLOCK = 32;

    private RowEncoder() {}

    /** Appends {@code type.byteSize(row.length)} bytes to {@code out} (which must be little-endian). */
    public static void encode(float[] row, TensorType type, ByteBuffer out) {
        if (out.order() != ByteOrder.LITTLE_ENDIAN) throw new IllegalArgumentException("buffer must be little-endian");
        switch (type) {
            case F32 -> { for (float v : row) out.putFloat(v); }
            case F16 -> { for (float v : row) out.putShort(Float.floatToFloat16(v)); }
            case BF16 -> { for (float v : row) out.putShort(toBf16(v)); }
            case Q8_0 -> { for (int b = 0; b < row.length; b += BLOCK) q8Block(row, b, out); }
            case Q4_0 -> { for (int b = 0; b < row.length; b += BLOCK) q4Block(row, b, out); }
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> {
                for (int b = 0; b < row.length; b += type.blockSize()) KQuantEncoder.encode(type, row, b, out);
            }
        }
    }

    /** bf16 = the top 16 bits of the float, rounded to nearest even; NaN stays a (quiet) NaN. */
    public static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /**
     * Q8_0: scale d = max|x| / 127 (fp16), q = round(x / d) in [-127, 127], exact halves away from zero as
     * ggml's {@code roundf} (Math.round would take -2.5 to -2 where ggml writes -3).
     */
    static void q8Block(float[] x, int from, ByteBuffer out) {
        float amax = 0;
        for (int i = 0; i < BLOCK; i++) amax = Math.max(amax, Math.abs(x[from + i]));
        float d = amax / 127f;
        float inv = d == 0 ? 0 : 1 / d;
        out.putShort(Float.floatToFloat16(d));
        for (int i = 0; i < BLOCK; i++) out.put((byte) roundHalfAway(x[from + i] * inv));
    }

    /** C's {@code roundf}: to the nearest integer, halves away from zero (exact: |v| + 0.5 in double). */
    static int roundHalfAway(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    /**
     * Q4_0: the value of largest magnitude m maps to quant 0 (d = m / -8, fp16); q = clamp(x/d + 8.5, 0, 15)
     * truncated. Byte j holds element j in its low nibble and element j+16 in its high nibble.
     */
    private static void q4Block(float[] x, int from, ByteBuffer out) {
        float amax = 0, max = 0;
        for (int i = 0; i < BLOCK; i++) {
            float v = x[from + i];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8f;
        float inv = d == 0 ? 0 : 1 / d;
        out.putShort(Float.floatToFloat16(d));
        for (int j = 0; j < BLOCK / 2; j++) {
            int lo = Math.min(15, (int) (x[from + j] * inv + 8.5f));
            int hi = Math.min(15, (int) (x[from + j + BLOCK / 2] * inv + 8.5f));
            out.put((byte) (lo | (hi << 4)));
        }
    }
}
