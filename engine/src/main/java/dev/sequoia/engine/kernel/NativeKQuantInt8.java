package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The native int8-activation kernels for K-quant weights ({@code sequoia_kq8.c}, a resource beside this
 * class) called through FFM: super-block activation quantization and the K-quant (Q2_K .. Q6_K) x int8 GEMM on
 * AVX-512 VNNI, bit for bit {@link ScalarKQuantInt8}. Compiled on first use like {@link NativeInt8Gemm};
 * where there is no compiler or the CPU lacks VNNI, {@link #load} answers empty and the twin runs instead.
 * Activations, their quantized form and outputs are Java arrays passed without copying (critical downcalls);
 * weights are native segments.
 */
final class NativeKQuantInt8 {
    private static final ValueLayout A = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final NativeKernelLibrary<NativeKQuantInt8> LIBRARY = new NativeKernelLibrary<>(
            "sequoia_kq8.c", "sq_kq8_level", "AVX-512 VNNI", symbols -> new NativeKQuantInt8(
                    NativeKernelLibrary.criticalDowncall(symbols, "sq_kq8_quantize",
                            FunctionDescriptor.ofVoid(A, I, I, A, A, A, A)),
                    NativeKernelLibrary.criticalDowncall(symbols, "sq_kq8_gemm_rows", FunctionDescriptor.of(
                            I, I, A, ValueLayout.JAVA_LONG, I, I, I, A, A, A, A, I, A, I)),
                    NativeKernelLibrary.criticalDowncall(symbols, "sq_kq8_allow_amx", FunctionDescriptor.of(I, I))));

    private final MethodHandle quantize;
    private final MethodHandle gemmRows;
    private final MethodHandle allowAmx;

    private NativeKQuantInt8(MethodHandle quantize, MethodHandle gemmRows, MethodHandle allowAmx) {
        this.quantize = quantize;
        this.gemmRows = gemmRows;
        this.allowAmx = allowAmx;
    }

    /**
     * Allows (the default) or forbids the AMX tile path for later calls, process-wide; forbidden, every token runs
     * on the VNNI kernels, which is how tests on an AMX machine reach them. Returns whether this build has AMX.
     */
    boolean allowAmx(boolean allow) {
        try {
            return (int) allowAmx.invokeExact(allow ? 1 : 0) == 1;
        } catch (Throwable t) {
            throw new IllegalStateException("native K-quant int8 AMX switch failed: " + t, t);
        }
    }

    /** The native kernels, compiled and loaded once per process; empty where they cannot run here. */
    static Optional<NativeKQuantInt8> load() {
        return LIBRARY.get();
    }

    /** Why {@link #load} is empty. */
    static String unavailableReason() {
        return LIBRARY.unavailableReason();
    }

    /** x (n, cols) -> the arrays of {@link ScalarKQuantInt8.Quantized}, the same values as its {@code quantize}. */
    void quantize(float[] x, int n, int cols, byte[] xq, float[] xd, float[] sum32, int[] qsum16) {
        try {
            quantize.invokeExact(MemorySegment.ofArray(x), n, cols, MemorySegment.ofArray(xq), MemorySegment.ofArray(xd),
                    MemorySegment.ofArray(sum32), MemorySegment.ofArray(qsum16));
        } catch (Throwable t) {
            throw new IllegalStateException("native K-quant int8 quantize failed on " + n + " x " + cols + ": " + t, t);
        }
    }

    /** W rows [r0, r1) @ quantized x (n, cols)^T -> out[0..n, r0..r1); bit-identical to {@link ScalarKQuantInt8#gemmRows}. */
    void gemmRows(WeightMatrix w, byte[] xq, float[] xd, float[] sum32, int[] qsum16, int n, float[] out, int r0, int r1) {
        int rc;
        try {
            rc = (int) gemmRows.invokeExact(w.type().ggmlId(), w.data(), w.rowBytes(), w.cols(), r0, r1,
                    MemorySegment.ofArray(xq), MemorySegment.ofArray(xd), MemorySegment.ofArray(sum32),
                    MemorySegment.ofArray(qsum16), n, MemorySegment.ofArray(out), w.rows());
        } catch (Throwable t) {
            throw new IllegalStateException("native K-quant int8 gemm failed on " + w.name() + ": " + t, t);
        }
        if (rc != 0) {
            throw new IllegalArgumentException(w.name() + ": the native K-quant int8 gemm does not handle " + w.type()
                    + " with " + w.cols() + " columns");
        }
    }
}
