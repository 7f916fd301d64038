package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.ValueLayout;

/**
 * The plain scalar twin of the int8-activation path ({@link Int8ActivationMatMul}, {@code sequoia_q8q8.c}):
 * activations quantized like Q8_0 (per token, per block of 32: {@code d = max|x| / 127} stored as fp16, as
 * llama.cpp's block_q8_0 stores it, {@code q = rint(x * (127 / max|x|))}), then for Q8_0 and Q4_0 weights each output is the
 * sum over blocks, in block order, of {@code (d_w * d_x) * dot(q_w, q_x)} with an exact integer dot (Q4_0's
 * quants are its nibbles less 8), each term added by one fused multiply-add
 * ({@code acc = fma(dot, d_w * d_x, acc)}): the native kernel's exact rounding, so the two agree bit for bit.
 * Other types go to
 * {@link ScalarMatMul} unchanged. Slow on purpose: it is the reference in tests and the fallback where the
 * native kernel cannot run.
 */
public final class ScalarInt8MatMul implements MatMul {
    private final ScalarMatMul fp32 = new ScalarMatMul();

    /** Quantized activations: {@code q} (n, cols) in [-127, 127], {@code scale} (n, cols / 32). */
    public record Quantized(byte[] q, float[] scale, int n, int cols) {
        int blocks() { return cols / 32; }
    }

    /** x (n, cols) -> int8 blocks of 32 with one scale each (an fp16 value, kept as a float). */
    public static Quantized quantize(float[] x, int n, int cols) {
        if (cols % 32 != 0) throw new IllegalArgumentException("int8 activations need cols % 32 == 0, got " + cols);
        int nb = cols / 32;
        byte[] q = new byte[n * cols];
        float[] scale = new float[n * nb];
        for (int t = 0; t < n; t++) {
            for (int b = 0; b < nb; b++) {
                int base = t * cols + 32 * b;
                float amax = 0f;
                for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[base + i]));
                float id = amax != 0f ? 127f / amax : 0f;
                scale[t * nb + b] = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
                for (int i = 0; i < 32; i++) q[base + i] = (byte) (int) Math.rint(x[base + i] * id);
            }
        }
        return new Quantized(q, scale, n, cols);
    }

    /** The exact integer dot of Q8_0 or Q4_0 row {@code row}'s block {@code b} with token t's block b. */
    static int blockDot(WeightMatrix w, int row, int b, Quantized x, int t) {
        long blk = row * w.rowBytes() + (long) w.type().bytesPerBlock() * b;
        int sum = 0;
        for (int i = 0; i < 32; i++) sum += quant(w, blk, i) * x.q()[t * x.cols() + 32 * b + i];
        return sum;
    }

    /** Value i (0..31) of the block at byte blk: Q8_0's int8, or Q4_0's nibble (low: 0..15, high: 16..31) less 8. */
    private static int quant(WeightMatrix w, long blk, int i) {
        if (w.type() == TensorType.Q8_0) return w.data().get(ValueLayout.JAVA_BYTE, blk + 2 + i);
        int pair = w.data().get(ValueLayout.JAVA_BYTE, blk + 2 + i % 16) & 0xFF;
        return (i < 16 ? pair & 0xF : pair >>> 4) - 8;
    }

    /** The fp16 scale of row {@code row}'s block {@code b}, as a float. */
    static float blockScale(WeightMatrix w, int row, int b) {
        return Float.float16ToFloat(w.data().get(ScalarMatMul.I16, row * w.rowBytes() + (long) w.type().bytesPerBlock() * b));
    }

    /** Whether the int8 path handles {@code w} (Q8_0 or Q4_0 with whole blocks); other matrices use fp32 kernels. */
    static boolean handles(WeightMatrix w) {
        return (w.type() == TensorType.Q8_0 || w.type() == TensorType.Q4_0) && w.cols() % 32 == 0;
    }

    @Override
    public void gemm(WeightMatrix w, float[] x, float[] out, int n) {
        if (!handles(w)) {
            fp32.gemm(w, x, out, n);
            return;
        }
        gemmRows(w, quantize(x, n, w.cols()), out, 0, w.rows());
    }

    /** W rows [r0, r1) @ quantized x (n, cols)^T -> out[0..n, r0..r1); out has {@code w.rows()} columns. */
    static void gemmRows(WeightMatrix w, Quantized x, float[] out, int r0, int r1) {
        int nb = x.blocks();
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < x.n(); t++) {
                float sum = 0f;
                for (int b = 0; b < nb; b++) {
                    sum = Math.fma((float) blockDot(w, r, b, x, t), blockScale(w, r, b) * x.scale()[t * nb + b], sum);
                }
                out[t * w.rows() + r] = sum;
            }
        }
    }

    @Override
    public void dequantizeRow(WeightMatrix w, int row, float[] dst, int dstOffset) {
        fp32.dequantizeRow(w, row, dst, dstOffset);
    }
}
