package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.WeightMatrix;

/**
 * Matrix products against weight matrices: the kernels that dominate every forward pass.
 * Implementations must read each weight once per batch of {@code n} tokens (a GEMM, not n GEMVs).
 */
public interface MatMul {
    /**
     * {@code out[t*rows + r] = sum_c W[r][c] * x[t*cols + c]} for every token t in {@code 0..n-1}.
     * W (rows, cols) @ x (n, cols)^T -> out (n, rows).
     */
    void gemm(WeightMatrix w, float[] x, float[] out, int n);

    /**
     * {@code gemm(ws[i], x, outs[i], n)} for every i: several matrices over the same activations (q, k and v;
     * gate and up), each result bit for bit what {@link #gemm} gives. Implementations may share the work on x
     * (int8 quantization) and run all matrices' row blocks in one parallel loop: a decode token issues about
     * 150 GEMMs, and the small ones (k, v: 256 rows) cost more in hand-off than in arithmetic.
     */
    default void gemmAll(WeightMatrix[] ws, float[] x, float[][] outs, int n) {
        if (ws.length != outs.length) {
            throw new IllegalArgumentException("gemmAll needs one output per matrix, got " + ws.length + " and " + outs.length);
        }
        for (int i = 0; i < ws.length; i++) gemm(ws[i], x, outs[i], n);
    }

    /** Row {@code row} of W as floats into {@code dst[0..cols)}: embedding lookup. */
    void dequantizeRow(WeightMatrix w, int row, float[] dst, int dstOffset);
}
