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

    /** Row {@code row} of W as floats into {@code dst[0..cols)}: embedding lookup. */
    void dequantizeRow(WeightMatrix w, int row, float[] dst, int dstOffset);
}
