package dev.sequoia.engine.cli;

import dev.sequoia.engine.api.EngineConfig;
import picocli.CommandLine.Option;

import java.util.function.IntSupplier;

/** {@code --threads}: every core unless given, or for the benchmarks 2 (comparable runs on a shared machine). */
final class ThreadsOption {
    /** The benchmarks' default: 2 threads whatever the machine, so their figures compare across runs. */
    static final int BENCH_DEFAULT = 2;

    @Option(names = "--threads", description = "Compute threads (default: all cores; bench and bench-offload: 2).")
    Integer threads;

    private final IntSupplier fallback;

    /** Every core by default. */
    ThreadsOption() {
        this(EngineConfig::defaultThreads);
    }

    /** {@code fallback} threads unless {@code --threads} is given. */
    ThreadsOption(IntSupplier fallback) {
        this.fallback = fallback;
    }

    /** For the benchmarks: {@link #BENCH_DEFAULT} threads unless given. */
    static ThreadsOption forBenchmarks() {
        return new ThreadsOption(() -> BENCH_DEFAULT);
    }

    /** The threads given, else the default: {@link EngineConfig#defaultThreads()} or the benchmarks' 2. */
    int count() {
        return threads != null ? threads : fallback.getAsInt();
    }
}
