package dev.sequoia.engine.cli;

import dev.sequoia.engine.kernel.Int8ActivationMatMul;
import dev.sequoia.engine.kernel.VectorMatMul;
import picocli.CommandLine.Option;

/** {@code --int8}, for every command that runs the CPU GEMMs: opt-in int8 activations for Q8_0, Q4_0 and K-quant weights. */
final class Int8Option {
    @Option(names = "--int8", description = "Opt-in: Q8_0, Q4_0 and K-quant (Q2_K .. Q6_K) weights multiply int8-quantized activations (VNNI), as llama.cpp does.")
    boolean enabled;

    /** The int8 GEMM borrowing {@code fp32}'s thread pool when {@code --int8} was given, else null. */
    Int8ActivationMatMul open(VectorMatMul fp32) {
        return enabled ? new Int8ActivationMatMul(fp32, true) : null;
    }

    /** What a report prints as "activations" for the int8 GEMM: its native kernel, or why the twin runs. */
    static String describe(Int8ActivationMatMul int8) {
        String why = int8.nativeUnavailableReason();
        return why == null ? "int8 (vnni) for Q8_0, Q4_0 and K-quants" : "int8 (scalar twin: " + why + ") for Q8_0, Q4_0 and K-quants";
    }
}
