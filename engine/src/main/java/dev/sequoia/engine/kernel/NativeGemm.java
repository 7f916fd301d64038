package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The native GEMM ({@code sequoia_gemm.c}, a resource beside this class) called through FFM: AVX-512 with
 * software prefetch, which the Vector API cannot express. The C source is compiled on first use with the
 * system C compiler for this very CPU by {@link NativeKernelLibrary} (cached under {@code ~/.cache/sequoia/native/}, keyed
 * by a hash of the source and the CPU); without a compiler, or on a CPU without AVX-512, {@link #load}
 * answers empty and the Java kernels run instead.
 *
 * <p>The library stays loaded for the life of the process (global arena): the kernels are stateless and
 * may be called from any thread at once. Activations and outputs are Java arrays passed without copying
 * (critical downcalls); weights are native segments.
 */
final class NativeGemm {
    private static final NativeKernelLibrary<NativeGemm> LIBRARY = new NativeKernelLibrary<>("sequoia_gemm.c",
            "sq_native_level", "AVX-512", symbols -> new NativeGemm(NativeKernelLibrary.criticalDowncall(symbols,
                    "sq_gemm_rows", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT))));

    private final MethodHandle gemmRows;

    private NativeGemm(MethodHandle gemmRows) {
        this.gemmRows = gemmRows;
    }

    /** The native kernels, compiled and loaded once per process; empty where they cannot run here. */
    static Optional<NativeGemm> load() {
        return LIBRARY.get();
    }

    /** Why {@link #load} is empty (for logs and benchmark reports). */
    static String unavailableReason() {
        return LIBRARY.unavailableReason();
    }

    /** Whether {@link #gemmRows} handles this matrix. */
    static boolean supports(WeightMatrix w) {
        boolean typeOk = switch (w.type()) {
            case F32, F16, BF16, Q8_0, Q4_0 -> true;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> w.cols() % 256 == 0;
            default -> false;
        };
        return typeOk && w.cols() % 32 == 0 && w.data().isNative();
    }

    /** W rows [r0, r1) @ x (n, cols)^T -> out[0..n, r0..r1); out has {@code w.rows()} columns. */
    void gemmRows(WeightMatrix w, float[] x, float[] out, int n, int r0, int r1) {
        int rc;
        try {
            rc = (int) gemmRows.invokeExact(w.type().ggmlId(), w.data(), w.rowBytes(), w.cols(), r0, r1,
                    MemorySegment.ofArray(x), n, MemorySegment.ofArray(out), w.rows());
        } catch (Throwable t) {
            throw new IllegalStateException("native gemm failed on " + w.name() + ": " + t, t);
        }
        if (rc != 0) {
            throw new IllegalArgumentException(w.name() + ": the native gemm does not handle " + w.type() + " with "
                    + w.cols() + " columns (supports() should have said so)");
        }
    }
}
