package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.sequoia.engine.kernel.KQuantBlocks.half;
import static dev.sequoia.engine.kernel.KQuantBlocks.scaleMinK4;
import static dev.sequoia.engine.kernel.KQuantBlocks.u8;

/**
 * The scalar twin of the int8-activation kernels for K-quant weights (Q2_K .. Q6_K; {@code sequoia_kq8.c}),
 * as llama.cpp's {@code ggml_vec_dot_q*_K_q8_K} compute them: activations quantized per 256-value super-block
 * ({@code d = max|x| / 127}, {@code q = rint(x * (127 / max|x|))}, the Q8_0 activation rule on longer blocks)
 * with the sums of their quants per 16 and per 32 values beside them; weights never leave their integer form.
 *
 * <p>The exact result, which the native kernel reproduces bit for bit. Per (row, token), 16 fp32 lanes
 * {@code acc[k]} start at 0. For each super-block b in order, 16 exact integers {@code s[k]} are formed, lane k
 * holding the columns {@code 64v + 4k .. 64v + 4k + 3} for v = 0..3 (the layout of a 512-bit register over the
 * block's four 64-value quarters), each product weighted by its sub-block scale:
 * <ul>
 * <li>Q4_K/Q5_K: {@code s[k] = sum sc * q * x} (q the unsigned 4/5-bit quant), then {@code acc[k] =
 *     fma(s[k], d*dx, acc[k])}; then the mins: {@code m[i] = mn(2i) * bsum32(2i) + mn(2i+1) * bsum32(2i+1)}
 *     for i < 4 (0 above) and {@code acc[k] = fma(m[k], -(dmin*dx), acc[k])}.
 * <li>Q2_K: as Q4_K with scales and mins per 16: {@code m[i] = mn(2i) * bsum16(2i) + mn(2i+1) * bsum16(2i+1)}, i < 8.
 * <li>Q6_K: q the unsigned 6-bit quant (0..63), {@code s[k] = sum sc * q * x}, minus for k < 8
 *     {@code 32 * (sc(2k) * bsum16(2k) + sc(2k+1) * bsum16(2k+1))} (the quants' bias of 32), then
 *     {@code acc[k] = fma(s[k], d*dx, acc[k])}. Q3_K likewise, with q = low + 4 * high (0..7), bias 4 and
 *     its signed 6-bit scales (sc - 32).
 * </ul>
 * The output is the pairwise sum of the 16 lanes ({@link #laneSum}). Integers cannot overflow (|s| < 2^28).
 * A token's result depends only on its own activations: not on n, the row split or the thread count.
 * Slow on purpose: the reference in tests and the fallback where the native kernel cannot run.
 */
public final class ScalarKQuantInt8 {
    static final int QK = 256;

    private ScalarKQuantInt8() {}

    /**
     * Activations quantized per super-block: {@code q} (n, cols) in [-127, 127], {@code scale} (n, cols / 256),
     * {@code bsum16} (n, cols / 16) and {@code bsum32} (n, cols / 32) the sums of the quants per 16 and 32 values.
     */
    public record Quantized(byte[] q, float[] scale, short[] bsum16, short[] bsum32, int n, int cols) {
        int blocks() { return cols / QK; }
    }

    /** Whether this path handles {@code w}: K-quant rows of whole super-blocks. */
    static boolean handles(WeightMatrix w) {
        return switch (w.type()) {
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> w.cols() % QK == 0;
            default -> false;
        };
    }

    /** x (n, cols) -> int8 super-blocks of 256 with one fp32 scale and the sums per 16 and 32 quants. */
    public static Quantized quantize(float[] x, int n, int cols) {
        if (cols % QK != 0) throw new IllegalArgumentException("K-quant int8 activations need cols % 256 == 0, got " + cols);
        byte[] q = new byte[n * cols];
        float[] scale = new float[n * (cols / QK)];
        short[] bs16 = new short[n * (cols / 16)], bs32 = new short[n * (cols / 32)];
        for (int t = 0; t < n; t++) {
            for (int b = 0; b < cols / QK; b++) {
                int base = t * cols + QK * b;
                float amax = 0f;
                for (int i = 0; i < QK; i++) amax = Math.max(amax, Math.abs(x[base + i]));
                float id = amax != 0f ? 127f / amax : 0f;
                scale[t * (cols / QK) + b] = amax / 127f;
                for (int i = 0; i < QK; i++) q[base + i] = (byte) (int) Math.rint(x[base + i] * id);
            }
            for (int g = 0; g < cols / 16; g++) {
                int s = 0;
                for (int i = 0; i < 16; i++) s += q[t * cols + 16 * g + i];
                bs16[t * (cols / 16) + g] = (short) s;
                bs32[t * (cols / 32) + g / 2] += (short) s;
            }
        }
        return new Quantized(q, scale, bs16, bs32, n, cols);
    }

    /** W rows [r0, r1) @ quantized x (n, cols)^T -> out[0..n, r0..r1); out has {@code w.rows()} columns. */
    static void gemmRows(WeightMatrix w, Quantized x, float[] out, int r0, int r1) {
        int[] s = new int[16], m = new int[16];
        float[] acc = new float[16];
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < x.n(); t++) out[t * w.rows() + r] = rowDot(w, r, x, t, s, m, acc);
        }
    }

    /** Row r . token t: the lane accumulation described in the class comment. */
    static float rowDot(WeightMatrix w, int r, Quantized x, int t, int[] s, int[] m, float[] acc) {
        java.util.Arrays.fill(acc, 0f);
        MemorySegment seg = w.data();
        for (int b = 0; b < x.blocks(); b++) {
            long blk = r * w.rowBytes() + (long) b * w.type().bytesPerBlock();
            float dx = x.scale()[t * x.blocks() + b];
            blockLanes(w.type(), seg, blk, x, t, b, s, m);
            float dd = half(seg, blk + dOffset(w.type())) * dx;
            for (int k = 0; k < 16; k++) acc[k] = Math.fma((float) s[k], dd, acc[k]);
            if (hasMins(w.type())) {
                float dm = -(half(seg, blk + dOffset(w.type()) + 2) * dx);
                for (int k = 0; k < 16; k++) acc[k] = Math.fma((float) m[k], dm, acc[k]);
            }
        }
        return laneSum(acc);
    }

    /** Byte offset of the fp16 super-block scale d (dmin follows it in the types with mins). */
    static int dOffset(TensorType type) {
        return switch (type) {
            case Q2_K -> 80;
            case Q3_K -> 108;
            case Q6_K -> 208;
            default -> 0;
        };
    }

    /** Whether the type subtracts per-sub-block mins (dmin * m), rather than centring its quants by a bias. */
    static boolean hasMins(TensorType type) {
        return type == TensorType.Q2_K || type == TensorType.Q4_K || type == TensorType.Q5_K;
    }

    /** The 16 lanes summed pairwise: halves of 8, then 4, then 2, then the last two (the native reduction). */
    static float laneSum(float[] a) {
        float[] v = a.clone();
        for (int w = 8; w >= 1; w /= 2) {
            for (int i = 0; i < w; i++) v[i] = v[i] + v[i + w];
        }
        return v[0];
    }

    /**
     * The exact integers of super-block b of a row (at byte blk) against token t's block b: s[16] the scaled
     * dot lanes (Q6_K: less its bias term), m[16] the min lanes of Q4_K/Q5_K (zero for Q6_K and above lane 3).
     */
    static void blockLanes(TensorType type, MemorySegment seg, long blk, Quantized x, int t, int b, int[] s, int[] m) {
        java.util.Arrays.fill(s, 0);
        java.util.Arrays.fill(m, 0);
        int xb = t * x.cols() + QK * b;
        for (int c = 0; c < QK; c++) {
            int k = (c % 64) / 4;
            s[k] += weightScale(type, seg, blk, c) * quant(type, seg, blk, c) * x.q()[xb + c];
        }
        int g16 = t * (x.cols() / 16) + 16 * b;
        if (type == TensorType.Q6_K || type == TensorType.Q3_K) {
            int bias = type == TensorType.Q6_K ? 32 : 4;
            for (int k = 0; k < 8; k++) {
                s[k] -= bias * (weightScale(type, seg, blk, 32 * k) * x.bsum16()[g16 + 2 * k]
                        + weightScale(type, seg, blk, 32 * k + 16) * x.bsum16()[g16 + 2 * k + 1]);
            }
        } else if (type == TensorType.Q2_K) {
            for (int k = 0; k < 8; k++) {
                m[k] = (u8(seg, blk + 2 * k) >>> 4) * x.bsum16()[g16 + 2 * k]
                        + (u8(seg, blk + 2 * k + 1) >>> 4) * x.bsum16()[g16 + 2 * k + 1];
            }
        } else {
            int g32 = t * (x.cols() / 32) + 8 * b;
            for (int i = 0; i < 4; i++) {
                m[i] = scaleMinK4(seg, blk + 4, 2 * i, true) * x.bsum32()[g32 + 2 * i]
                        + scaleMinK4(seg, blk + 4, 2 * i + 1, true) * x.bsum32()[g32 + 2 * i + 1];
            }
        }
    }

    /** The integer scale of column c (0..255) of the block: 6-bit per 32 (Q4_K/Q5_K), int8 per 16 (Q6_K). */
    static int weightScale(TensorType type, MemorySegment seg, long blk, int c) {
        return switch (type) {
            case Q2_K -> u8(seg, blk + c / 16) & 0xF;
            case Q3_K -> KQuantBlocks.q3Scale(seg, blk + 96, c / 16) - 32;
            case Q6_K -> seg.get(ValueLayout.JAVA_BYTE, blk + 192 + c / 16);
            default -> scaleMinK4(seg, blk + 4, c / 32, false);
        };
    }

    /**
     * The unsigned quant of column c (0..255) of the block: 0..3 (Q2_K), 0..7 (Q3_K, bias 4 kept), 0..15 (Q4_K),
     * 0..31 (Q5_K), 0..63 (Q6_K, bias 32 kept).
     */
    static int quant(TensorType type, MemorySegment seg, long blk, int c) {
        int plane = (c % 128) / 32;
        return switch (type) {
            case Q2_K -> (u8(seg, blk + 16 + 32 * (c / 128) + c % 32) >>> (2 * plane)) & 3;
            case Q3_K -> ((u8(seg, blk + 32 + 32 * (c / 128) + c % 32) >>> (2 * plane)) & 3)
                    | ((u8(seg, blk + c % 32) >>> (4 * (c / 128) + plane)) & 1) << 2;
            case Q4_K -> (u8(seg, blk + 16 + 32 * (c / 64) + c % 32) >>> (4 * ((c / 32) & 1))) & 0xF;
            case Q5_K -> ((u8(seg, blk + 48 + 32 * (c / 64) + c % 32) >>> (4 * ((c / 32) & 1))) & 0xF)
                    | ((u8(seg, blk + 16 + c % 32) >>> (c / 32)) & 1) << 4;
            case Q6_K -> {
                int half = c / 128, l = c % 32, quarter = (c % 128) / 32;
                int ql = u8(seg, blk + 64 * half + l + 32 * (quarter & 1)) >>> (4 * (quarter >>> 1)) & 0xF;
                int qh = (u8(seg, blk + 128 + 32 * half + l) >>> (2 * quarter)) & 3;
                yield ql | qh << 4;
            }
            default -> throw new IllegalArgumentException(type + " has no int8-activation K-quant dot");
        };
    }
}
