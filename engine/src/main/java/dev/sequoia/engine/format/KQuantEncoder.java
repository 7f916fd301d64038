package dev.sequoia.engine.format;

import dev.sequoia.engine.tensor.TensorType;

import java.nio.ByteBuffer;

/**
 * Writes ggml K-quant super-blocks (256 values) from floats: the byte layouts {@code KQuantBlocks} decodes
 * (and ggml's {@code dequantize_row_q2_K .. q6_K}), filled by a plain one-pass quantizer. llama.cpp searches
 * for the scales that minimise the error; this one takes each sub-block's range directly (min and max, or
 * max |x|), quantizes the sub-block scales against the block's largest, and rounds each value against its
 * decoded scale. So the blocks are valid and close to llama.cpp's in error, not byte-identical to them.
 */
final class KQuantEncoder {
    private static final int QK = 256;

    private KQuantEncoder() {}

    /** Appends the block of {@code type} holding {@code x[from..from+256)}. */
    static void encode(TensorType type, float[] x, int from, ByteBuffer out) {
        switch (type) {
            case Q2_K -> q2(x, from, out);
            case Q3_K -> q3(x, from, out);
            case Q4_K -> q45(x, from, out, false);
            case Q5_K -> q45(x, from, out, true);
            case Q6_K -> q6(x, from, out);
            default -> throw new IllegalArgumentException(type + " is not a K-quant type");
        }
    }

    /** Round half to even, as ggml's {@code nearest_int}. */
    private static int nearest(float v) {
        return (int) Math.rint(v);
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /** q = round(v / scale) in [lo, hi]; 0 where the scale is 0. */
    private static int quant(float v, float scale, int lo, int hi) {
        return scale == 0 ? clamp(0, lo, hi) : clamp(nearest(v / scale), lo, hi);
    }

    private static float fp16Round(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    /**
     * Asymmetric sub-blocks of {@code size} values: per sub-block scale (max - min) / qmax and min (at most 0,
     * stored negated). Returns {scale, -min} pairs in {@code sc} and {@code mn}.
     */
    private static void ranges(float[] x, int from, int size, int qmax, float[] sc, float[] mn) {
        for (int j = 0; j < sc.length; j++) {
            float lo = 0, hi = 0;
            for (int i = 0; i < size; i++) {
                float v = x[from + j * size + i];
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            sc[j] = (hi - lo) / qmax;
            mn[j] = -lo;
        }
    }

    private static float max(float[] v) {
        float m = 0;
        for (float f : v) m = Math.max(m, f);
        return m;
    }

    /** Q2_K: 16 x 16 values; 4-bit scale and min per sub-block against fp16 d and dmin; 2-bit quants. */
    private static void q2(float[] x, int from, ByteBuffer out) {
        float[] sc = new float[16], mn = new float[16];
        ranges(x, from, 16, 3, sc, mn);
        float d = fp16Round(max(sc) / 15), dmin = fp16Round(max(mn) / 15);
        int[] ls = new int[16], lm = new int[16];
        for (int j = 0; j < 16; j++) {
            ls[j] = quant(sc[j], d, 0, 15);
            lm[j] = quant(mn[j], dmin, 0, 15);
            out.put((byte) (ls[j] | lm[j] << 4));
        }
        byte[] qs = new byte[64];
        for (int i = 0; i < QK; i++) {
            int j = i / 16;
            float dl = d * ls[j], ml = dmin * lm[j];
            int q = quant(x[from + i] + ml, dl, 0, 3);
            // value i: 128-value half n, plane (shift) p, byte l within the 32 bytes of that half
            int n = i / 128, p = (i % 128) / 32, l = i % 32;
            qs[32 * n + l] |= (byte) (q << (2 * p));
        }
        out.put(qs);
        out.putShort(Float.floatToFloat16(d));
        out.putShort(Float.floatToFloat16(dmin));
    }

    /** Q3_K: 16 x 16 values; 6-bit signed scales (biased by 32) against fp16 d; quants -4..3. */
    private static void q3(float[] x, int from, ByteBuffer out) {
        float[] sc = new float[16];
        for (int j = 0; j < 16; j++) sc[j] = absMax(x, from + 16 * j, 16) / 4;
        float d = fp16Round(max(sc) / 31);
        int[] ls = new int[16];
        for (int j = 0; j < 16; j++) ls[j] = quant(sc[j], d, 0, 31);
        byte[] hmask = new byte[32], qs = new byte[64], scales = new byte[12];
        for (int i = 0; i < QK; i++) {
            int l3 = quant(x[from + i], d * ls[i / 16], -4, 3) + 4; // 0..7
            int n = i / 128, p = (i % 128) / 32, l = i % 32;
            qs[32 * n + l] |= (byte) ((l3 & 3) << (2 * p));
            if (l3 >= 4) hmask[l] |= (byte) (1 << (4 * n + p));
        }
        for (int j = 0; j < 16; j++) {
            int s = ls[j] + 32; // 6 bits
            if (j < 8) scales[j] |= (byte) (s & 0xF);
            else scales[j - 8] |= (byte) ((s & 0xF) << 4);
            scales[8 + (j & 3)] |= (byte) ((s >>> 4) << (2 * (j >>> 2)));
        }
        out.put(hmask).put(qs).put(scales);
        out.putShort(Float.floatToFloat16(d));
    }

    /** Q4_K / Q5_K: 8 x 32 values; 6-bit scale and min per sub-block against fp16 d and dmin. */
    private static void q45(float[] x, int from, ByteBuffer out, boolean five) {
        int qmax = five ? 31 : 15;
        float[] sc = new float[8], mn = new float[8];
        ranges(x, from, 32, qmax, sc, mn);
        float d = fp16Round(max(sc) / 63), dmin = fp16Round(max(mn) / 63);
        int[] ls = new int[8], lm = new int[8];
        for (int j = 0; j < 8; j++) {
            ls[j] = quant(sc[j], d, 0, 63);
            lm[j] = quant(mn[j], dmin, 0, 63);
        }
        out.putShort(Float.floatToFloat16(d));
        out.putShort(Float.floatToFloat16(dmin));
        byte[] scales = new byte[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                scales[j] = (byte) ls[j];
                scales[j + 4] = (byte) lm[j];
            } else {
                scales[j + 4] = (byte) ((ls[j] & 0xF) | (lm[j] & 0xF) << 4);
                scales[j - 4] |= (byte) ((ls[j] >>> 4) << 6);
                scales[j] |= (byte) ((lm[j] >>> 4) << 6);
            }
        }
        out.put(scales);
        byte[] qh = new byte[32], qs = new byte[128];
        for (int i = 0; i < QK; i++) {
            int j = i / 32;
            int q = quant(x[from + i] + dmin * lm[j], d * ls[j], 0, qmax);
            int l = i % 32;
            qs[32 * (j / 2) + l] |= (byte) ((q & 0xF) << (4 * (j & 1)));
            if (q > 15) qh[l] |= (byte) (1 << j);
        }
        if (five) out.put(qh);
        out.put(qs);
    }

    /** Q6_K: 16 x 16 values; int8 scales against fp16 d; quants -32..31. */
    private static void q6(float[] x, int from, ByteBuffer out) {
        float[] sc = new float[16];
        for (int j = 0; j < 16; j++) sc[j] = absMax(x, from + 16 * j, 16) / 32;
        float d = fp16Round(max(sc) / 127);
        byte[] ql = new byte[128], qh = new byte[64], scales = new byte[16];
        for (int j = 0; j < 16; j++) scales[j] = (byte) quant(sc[j], d, 0, 127);
        for (int i = 0; i < QK; i++) {
            int q = quant(x[from + i], d * scales[i / 16], -32, 31) + 32; // 0..63
            // value i: 128-value half n, quarter p; ql byte 64n + l (+32 for quarters 1, 3), nibble p / 2
            int n = i / 128, p = (i % 128) / 32, l = i % 32;
            ql[64 * n + l + 32 * (p & 1)] |= (byte) ((q & 0xF) << (4 * (p >>> 1)));
            qh[32 * n + l] |= (byte) ((q >>> 4) << (2 * p));
        }
        out.put(ql).put(qh).put(scales);
        out.putShort(Float.floatToFloat16(d));
    }

    private static float absMax(float[] x, int from, int n) {
        float m = 0;
        for (int i = 0; i < n; i++) m = Math.max(m, Math.abs(x[from + i]));
        return m;
    }
}
