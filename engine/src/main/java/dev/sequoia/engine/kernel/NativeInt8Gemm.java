package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The native int8-activation kernels ({@code sequoia_q8q8.c}, a resource beside this class) called through
 * FFM: activation quantization and the Q8_0 / Q4_0 x int8 GEMM on AVX-512 VNNI. Compiled on first use like
 * {@link NativeGemm} (same cache, same compiler flags); where there is no compiler or the CPU lacks VNNI,
 * {@link #load} answers empty and {@link ScalarInt8MatMul} runs instead.
 *
 * <p>The library stays loaded for the life of the process (global arena); the kernels are stateless.
 * Activations, their quantized form and outputs are Java arrays passed without copying (critical
 * downcalls); weights are native segments.
 */
final class NativeInt8Gemm {
    private static final NativeKernelLibrary<NativeInt8Gemm> LIBRARY = new NativeKernelLibrary<>(
            "sequoia_q8q8.c", "sq_q8q8_level", "AVX-512 VNNI", symbols -> new NativeInt8Gemm(
                    NativeKernelLibrary.criticalDowncall(symbols, "sq_q8q8_quantize", FunctionDescriptor.ofVoid(
                            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS, ValueLayout.ADDRESS)),
                    NativeKernelLibrary.criticalDowncall(symbols, "sq_q8q8_gemm_rows", FunctionDescriptor.of(
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT))));

    private final MethodHandle quantize;
    private final MethodHandle gemmRows;

    private NativeInt8Gemm(MethodHandle quantize, MethodHandle gemmRows) {
        this.quantize = quantize;
        this.gemmRows = gemmRows;
    }

    /** The native kernels, compiled and loaded once per process; empty where they cannot run here. */
    static Optional<NativeInt8Gemm> load() {
        return LIBRARY.get();
    }

    /** Why {@link #load} is empty. */
    static String unavailableReason() {
        return LIBRARY.unavailableReason();
    }

    /**
     * x (n, cols) -> xq (n, cols) int8 quants, xs (n, cols / 32) block scales (the same values as
     * {@link ScalarInt8MatMul#quantize}), xc (n, cols / 32) = -128 * the block's sum of quants (the kernel
     * stores weights as w + 128 and starts each block dot from xc).
     */
    void quantize(float[] x, int n, int cols, byte[] xq, float[] xs, int[] xc) {
        try {
            quantize.invokeExact(MemorySegment.ofArray(x), n, cols, MemorySegment.ofArray(xq), MemorySegment.ofArray(xs),
                    MemorySegment.ofArray(xc));
        } catch (Throwable t) {
            throw new IllegalStateException("native int8 quantize failed on " + n + " x " + cols + ": " + t, t);
        }
    }

    /**
     * Q8_0 or Q4_0 W rows [r0, r1) @ quantized x (n, cols)^T -> out[0..n, r0..r1); out has {@code w.rows()} columns.
     * Bit-identical to {@link ScalarInt8MatMul#gemmRows} for every n and row range.
     */
    void gemmRows(WeightMatrix w, byte[] xq, float[] xs, int[] xc, int n, float[] out, int r0, int r1) {
        int rc;
        try {
            rc = (int) gemmRows.invokeExact(w.type().ggmlId(), w.data(), w.rowBytes(), w.cols(), r0, r1, MemorySegment.ofArray(xq),
                    MemorySegment.ofArray(xs), MemorySegment.ofArray(xc), n, MemorySegment.ofArray(out), w.rows());
        } catch (Throwable t) {
            throw new IllegalStateException("native int8 gemm failed on " + w.name() + ": " + t, t);
        }
        if (rc != 0) {
            throw new IllegalArgumentException(w.name() + ": the native int8 gemm needs cols % 32 == 0, got " + w.cols());
        }
    }
}
