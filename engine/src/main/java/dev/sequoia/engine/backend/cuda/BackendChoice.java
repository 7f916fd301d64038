package dev.sequoia.engine.backend.cuda;

import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code --backend cpu|cuda|auto}: which backend runs the transformer. {@code auto} picks CUDA when a driver,
 * a device and the bundled kernels are present, else the CPU; {@code cuda} fails with the reason when CUDA
 * is not usable rather than silently running on the CPU.
 */
public enum BackendChoice {
    CPU, CUDA, AUTO;

    /** Parses a CLI value, naming the allowed ones on error. */
    public static BackendChoice parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--backend must be cpu, cuda or auto, got '" + value + "'");
        }
    }

    /** The backend to run: CPU or CUDA, never AUTO. */
    public BackendChoice resolve(BooleanSupplier cudaUsable, Supplier<String> whyNot) {
        return switch (this) {
            case CPU -> CPU;
            case AUTO -> cudaUsable.getAsBoolean() ? CUDA : CPU;
            case CUDA -> {
                if (!cudaUsable.getAsBoolean()) throw new IllegalArgumentException("--backend cuda: " + whyNot.get());
                yield CUDA;
            }
        };
    }

    /** Resolves against this machine: the CUDA driver and the kernels bundled in the build. */
    public BackendChoice resolve() {
        return resolve(() -> dev.sequoia.cuda.Cuda.isAvailable() && dev.sequoia.cuda.SequoiaKernels.isBundled(),
                () -> dev.sequoia.cuda.Cuda.isAvailable() ? "this build has no CUDA kernels (built without nvcc)"
                        : dev.sequoia.cuda.Cuda.unavailableReason());
    }
}
