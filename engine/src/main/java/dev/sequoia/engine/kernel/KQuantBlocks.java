package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalar decoding of ggml's K-quant super-blocks (256 values each), one value at a time in ggml's own
 * order and float arithmetic ({@code dequantize_row_q2_K .. q6_K}: products then differences, no fused
 * multiply-add), so that decoded values are bit for bit ggml's. This is the reference the vector decoders of
 * {@link VectorDequant} are tested against, and itself is tested against ggml's dequantization of files
 * quantized by llama.cpp.
 *
 * <p>Byte layouts (offsets within one block):
 * <ul>
 * <li>Q2_K (84): scales[16] @0 (low nibble scale, high nibble min, per 16 values), qs[64] @16 (2-bit quants,
 *     four 32-byte planes per 128 values), d @80, dmin @82. x = d*sc * q - dmin*m.
 * <li>Q3_K (110): hmask[32] @0 (high bit, inverted: a clear bit subtracts 4), qs[64] @32 (low 2 bits as Q2_K),
 *     scales[12] @96 (16 six-bit scales biased by 32), d @108. x = d*(sc-32) * q.
 * <li>Q4_K (144): d @0, dmin @2, scales[12] @4 (8 six-bit scale/min pairs, per 32 values), qs[128] @16
 *     (per 64 values: 32 bytes, low nibbles first 32 values, high nibbles next 32). x = d*sc * q - dmin*m.
 * <li>Q5_K (176): as Q4_K, plus qh[32] @16 (bit 2j / 2j+1 of byte l: the fifth bit of value l of the low /
 *     high half of 64-value group j), qs[128] @48.
 * <li>Q6_K (210): ql[128] @0, qh[64] @128, scales[16] @192 (int8, per 16 values), d @208. x = d*sc * (q-32).
 * </ul>
 */
public final class KQuantBlocks {
    /** Values per super-block (ggml's QK_K). */
    public static final int QK = 256;
    private static final ValueLayout.OfShort I16 = ScalarMatMul.I16;

    private KQuantBlocks() {}

    /** Decodes the block of {@code type} at byte {@code off} of {@code seg} into {@code dst[dstOff..dstOff+256)}. */
    public static void decode(TensorType type, MemorySegment seg, long off, float[] dst, int dstOff) {
        switch (type) {
            case Q2_K -> q2(seg, off, dst, dstOff);
            case Q3_K -> q3(seg, off, dst, dstOff);
            case Q4_K -> q4(seg, off, dst, dstOff);
            case Q5_K -> q5(seg, off, dst, dstOff);
            case Q6_K -> q6(seg, off, dst, dstOff);
            default -> throw new IllegalArgumentException(type + " is not a K-quant type");
        }
    }

    static int u8(MemorySegment seg, long off) {
        return seg.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    static float half(MemorySegment seg, long off) {
        return Float.float16ToFloat(seg.get(I16, off));
    }

    private static void q2(MemorySegment seg, long off, float[] y, int o) {
        float d = half(seg, off + 80), min = half(seg, off + 82);
        int is = 0;
        for (int n = 0; n < QK; n += 128) {
            long q = off + 16 + n / 4;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    int sc = u8(seg, off + is++);
                    float dl = d * (sc & 0xF), ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) {
                        int v = (u8(seg, q + 16 * half + l) >>> shift) & 3;
                        y[o++] = dl * v - ml;
                    }
                }
            }
        }
    }

    /** The 6-bit Q3_K scale i (0..15), before its bias of 32 is removed. */
    static int q3Scale(MemorySegment seg, long scales, int i) {
        int low = i < 8 ? u8(seg, scales + i) & 0xF : u8(seg, scales + i - 8) >>> 4;
        int high = (u8(seg, scales + 8 + (i & 3)) >>> (2 * (i >>> 2))) & 3;
        return low | high << 4;
    }

    private static void q3(MemorySegment seg, long off, float[] y, int o) {
        float d = half(seg, off + 108);
        int is = 0, bit = 0;
        for (int n = 0; n < QK; n += 128) {
            long q = off + 32 + n / 4;
            for (int shift = 0; shift < 8; shift += 2, bit++) {
                for (int half = 0; half < 2; half++) {
                    float dl = d * (q3Scale(seg, off + 96, is++) - 32);
                    for (int l = 16 * half; l < 16 * half + 16; l++) {
                        int low = (u8(seg, q + l) >>> shift) & 3;
                        int high = (u8(seg, off + l) >>> bit) & 1;
                        y[o++] = dl * (low - (high != 0 ? 0 : 4));
                    }
                }
            }
        }
    }

    /** The 6-bit scale (j < 8) or min (j + 8) of sub-block j of a Q4_K/Q5_K block's 12 scale bytes. */
    static int scaleMinK4(MemorySegment seg, long scales, int j, boolean min) {
        if (j < 4) return u8(seg, scales + j + (min ? 4 : 0)) & 63;
        int b = u8(seg, scales + j + 4);
        return min ? (b >>> 4) | ((u8(seg, scales + j) >>> 6) << 4)
                : (b & 0xF) | ((u8(seg, scales + j - 4) >>> 6) << 4);
    }

    private static void q4(MemorySegment seg, long off, float[] y, int o) {
        q45(seg, off, off + 16, -1, y, o);
    }

    private static void q5(MemorySegment seg, long off, float[] y, int o) {
        q45(seg, off, off + 48, off + 16, y, o);
    }

    /** Q4_K (qh < 0) or Q5_K: four groups of 64 values, each two sub-blocks of 32 sharing 32 bytes of nibbles. */
    private static void q45(MemorySegment seg, long off, long qs, long qh, float[] y, int o) {
        float d = half(seg, off), min = half(seg, off + 2);
        for (int j = 0; j < 4; j++) {
            for (int hi = 0; hi < 2; hi++) {
                int sub = 2 * j + hi;
                float dl = d * scaleMinK4(seg, off + 4, sub, false);
                float ml = min * scaleMinK4(seg, off + 4, sub, true);
                for (int l = 0; l < 32; l++) {
                    int q = (u8(seg, qs + 32 * j + l) >>> (4 * hi)) & 0xF;
                    if (qh >= 0) q |= ((u8(seg, qh + l) >>> sub) & 1) << 4;
                    y[o++] = dl * q - ml;
                }
            }
        }
    }

    private static void q6(MemorySegment seg, long off, float[] y, int o) {
        float d = half(seg, off + 208);
        for (int n = 0; n < 2; n++) {
            long ql = off + 64 * n, qh = off + 128 + 32 * n, sc = off + 192 + 8 * n;
            int base = o + 128 * n;
            for (int l = 0; l < 32; l++) {
                int h = u8(seg, qh + l);
                int q1 = ((u8(seg, ql + l) & 0xF) | (h & 3) << 4) - 32;
                int q2 = ((u8(seg, ql + l + 32) & 0xF) | ((h >>> 2) & 3) << 4) - 32;
                int q3 = ((u8(seg, ql + l) >>> 4) | ((h >>> 4) & 3) << 4) - 32;
                int q4 = ((u8(seg, ql + l + 32) >>> 4) | ((h >>> 6) & 3) << 4) - 32;
                int is = l / 16;
                y[base + l] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                y[base + l + 32] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                y[base + l + 64] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                y[base + l + 96] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
        }
    }
}
