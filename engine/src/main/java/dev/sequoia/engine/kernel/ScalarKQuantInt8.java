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
 * with the sums of their quants per 16 (integers) and per 32 (times the scale) beside them; weights never leave
 * their integer form.
 *
 * <p>The exact result, which the native kernel reproduces bit for bit: one fp32 chain per (row, token) over the
 * super-blocks in order, from exact integer dots of the quants with the activations. {@link #rowDotQ4} (Q4_K,
 * per 32-value sub-block), {@link #rowDotQ5} (Q5_K) and {@link #rowDotG16} (Q6_K, Q3_K, Q2_K, per block) define
 * them; the per-block chains apply scales and mins to exact int32 sums as llama.cpp does, which is what lets
 * the int8 path reproduce llama.cpp's logits to fp32 summation order. Integers cannot overflow (|sumi| < 2^28).
 * A token's result depends only on its own activations: not on n, the row split or the thread count.
 * Slow on purpose: the reference in tests and the fallback where the native kernel cannot run.
 */
public final class ScalarKQuantInt8 {
    static final int QK = 256;

    private ScalarKQuantInt8() {}

    /**
     * Activations quantized per super-block: {@code q} (n, cols) in [-127, 127], {@code scale} (n, cols / 256),
     * {@code sum32} (n, cols / 32) the sums of the quants per 32 values times their block's scale (one fp32
     * product each), {@code qsum16} (n, cols / 16) the integer sums per 16.
     */
    public record Quantized(byte[] q, float[] scale, float[] sum32, int[] qsum16, int n, int cols) {
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
        float[] sum32 = new float[n * (cols / 32)];
        int[] qsum16 = new int[n * (cols / 16)];
        for (int t = 0; t < n; t++) {
            for (int b = 0; b < cols / QK; b++) {
                int base = t * cols + QK * b;
                float amax = 0f;
                for (int i = 0; i < QK; i++) amax = Math.max(amax, Math.abs(x[base + i]));
                float id = amax != 0f ? 127f / amax : 0f;
                scale[t * (cols / QK) + b] = amax / 127f;
                for (int i = 0; i < QK; i++) q[base + i] = (byte) (int) Math.rint(x[base + i] * id);
            }
            for (int g = 0; g < cols / 32; g++) {
                int s0 = 0, s1 = 0;
                for (int i = 0; i < 16; i++) {
                    s0 += q[t * cols + 32 * g + i];
                    s1 += q[t * cols + 32 * g + 16 + i];
                }
                sum32[t * (cols / 32) + g] = scale[t * (cols / QK) + g / 8] * (float) (s0 + s1);
                qsum16[t * (cols / 16) + 2 * g] = s0;
                qsum16[t * (cols / 16) + 2 * g + 1] = s1;
            }
        }
        return new Quantized(q, scale, sum32, qsum16, n, cols);
    }

    /** W rows [r0, r1) @ quantized x (n, cols)^T -> out[0..n, r0..r1); out has {@code w.rows()} columns. */
    static void gemmRows(WeightMatrix w, Quantized x, float[] out, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < x.n(); t++) out[t * w.rows() + r] = rowDot(w, r, x, t);
        }
    }

    /** Row r . token t: its type's chain. */
    static float rowDot(WeightMatrix w, int r, Quantized x, int t) {
        return switch (w.type()) {
            case Q4_K -> rowDotQ4(w, r, x, t);
            case Q5_K -> rowDotQ5(w, r, x, t);
            default -> rowDotG16(w, r, x, t);
        };
    }

    /**
     * Q4_K (the rows-in-lanes kernel): one fp32 chain per (row, token); for each block and each sub-block j in
     * order, {@code acc = fma(isum_j, (d * sc_j) * dx, acc)} with isum_j the exact integer dot of the 32 quants
     * with the activations, then {@code acc = fma(dmin * m_j, -sum32_j, acc)}.
     */
    static float rowDotQ4(WeightMatrix w, int r, Quantized x, int t) {
        MemorySegment seg = w.data();
        TensorType type = TensorType.Q4_K;
        float acc = 0f;
        for (int b = 0; b < x.blocks(); b++) {
            long blk = r * w.rowBytes() + (long) b * type.bytesPerBlock();
            float d = half(seg, blk), dmin = half(seg, blk + 2), dx = x.scale()[t * x.blocks() + b];
            int xb = t * x.cols() + QK * b;
            for (int j = 0; j < 8; j++) {
                int isum = 0;
                for (int c = 32 * j; c < 32 * j + 32; c++) isum += quant(type, seg, blk, c) * x.q()[xb + c];
                acc = Math.fma((float) isum, (d * (float) scaleMinK4(seg, blk + 4, j, false)) * dx, acc);
                acc = Math.fma(dmin * (float) scaleMinK4(seg, blk + 4, j, true), -x.sum32()[t * (x.cols() / 32) + 8 * b + j], acc);
            }
        }
        return acc;
    }

    /**
     * Q5_K (rows in lanes, unpacked as Q4_K with a fifth bit), as llama.cpp's q5_K x q8_K dot: per block the
     * exact integers {@code sumi = sum_j sc_j * isum_j} (isum_j the dot of sub-block j's quants 0..31 with the
     * activations) and {@code summ = sum_j m_j * qsum_j} (the activation quants' integer sum over sub-block j),
     * then {@code acc = fma(sumi, d * dx, acc)} and {@code accm = fma(summ, -dx * dmin, accm)}; the result is
     * {@code acc + accm}. Q4_K's per-sub-block chain reproduces llama.cpp's Q4_K_M logits but not its Q5_K_M
     * ones (an activation quantized across a rounding boundary moved them by 0.1); this chain reproduces both
     * of that fixture's sequences to 4e-6.
     */
    static float rowDotQ5(WeightMatrix w, int r, Quantized x, int t) {
        MemorySegment seg = w.data();
        TensorType type = TensorType.Q5_K;
        float acc = 0f, accm = 0f;
        for (int b = 0; b < x.blocks(); b++) {
            long blk = r * w.rowBytes() + (long) b * type.bytesPerBlock();
            float dx = x.scale()[t * x.blocks() + b];
            float d = half(seg, blk) * dx, dmin = -dx * half(seg, blk + 2);
            int xb = t * x.cols() + QK * b, sumi = 0, summ = 0;
            for (int j = 0; j < 8; j++) {
                int isum = 0;
                for (int c = 32 * j; c < 32 * j + 32; c++) isum += quant(type, seg, blk, c) * x.q()[xb + c];
                sumi += scaleMinK4(seg, blk + 4, j, false) * isum;
                int q16 = t * (x.cols() / 16) + 16 * b + 2 * j;
                summ += scaleMinK4(seg, blk + 4, j, true) * (x.qsum16()[q16] + x.qsum16()[q16 + 1]);
            }
            acc = Math.fma((float) sumi, d, acc);
            accm = Math.fma((float) summ, dmin, accm);
        }
        return acc + accm;
    }

    /**
     * Q6_K, Q3_K and Q2_K (rows in lanes, groups of 16 values), as llama.cpp: per block the exact integers
     * {@code sumi = sum_j sc_j * isum_j} over the 16 groups j, isum_j the dot of the quants less their bias
     * (Q6_K 32, Q3_K 4, Q2_K none) with the activations, and for Q2_K {@code summ = sum_j m_j * qsum_j}; then
     * {@code acc = fma(summ, -dx * dmin, acc)} (Q2_K) and {@code acc = fma(sumi, d * dx, acc)}.
     */
    static float rowDotG16(WeightMatrix w, int r, Quantized x, int t) {
        MemorySegment seg = w.data();
        TensorType type = w.type();
        int bias = type == TensorType.Q6_K ? 32 : type == TensorType.Q3_K ? 4 : 0;
        float acc = 0f;
        for (int b = 0; b < x.blocks(); b++) {
            long blk = r * w.rowBytes() + (long) b * type.bytesPerBlock();
            int xb = t * x.cols() + QK * b, sumi = 0, summ = 0;
            for (int j = 0; j < 16; j++) {
                int isum = 0;
                for (int c = 16 * j; c < 16 * j + 16; c++) isum += (quant(type, seg, blk, c) - bias) * x.q()[xb + c];
                sumi += weightScale(type, seg, blk, 16 * j) * isum;
                if (type == TensorType.Q2_K) summ += min(type, seg, blk, j) * x.qsum16()[t * (x.cols() / 16) + 16 * b + j];
            }
            float dx = x.scale()[t * x.blocks() + b];
            if (type == TensorType.Q2_K) acc = Math.fma((float) summ, -dx * half(seg, blk + dOffset(type) + 2), acc);
            acc = Math.fma((float) sumi, half(seg, blk + dOffset(type)) * dx, acc);
        }
        return acc;
    }

    /** The min of sub-block k: per 32 values (Q4_K/Q5_K) or per 16 (Q2_K). */
    static int min(TensorType type, MemorySegment seg, long blk, int k) {
        return type == TensorType.Q2_K ? u8(seg, blk + k) >>> 4 : scaleMinK4(seg, blk + 4, k, true);
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

    /** The integer scale of column c (0..255): per 32 (Q4_K/Q5_K) or per 16 (Q2_K 4-bit, Q3_K 6-bit less 32, Q6_K int8). */
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
