package dev.sequoia.engine.cli;

import dev.sequoia.engine.api.EngineConfig;
import picocli.CommandLine.Option;

/** {@code --threads}: every core unless given, or for the benchmarks 2 (comparable runs on a shared machine). */
final class ThreadsOption {
    /** The benchmarks' default: 2 threads whatever the machine, so their figures compare across runs. */
    static final int BENCH_DEFAULT = 2;

    @Option(names = "--threads", description = "Compute threads (default: all cores; bench and bench-offload: 2).")
    Integer threads;

    private final int fallback;

    /** Every core by default. */
    ThreadsOption() {
        this(0);
    }

    private ThreadsOption(int fallback) {
        this.fallback = fallback;
    }

    /** For the benchmarks: {@link #BENCH_DEFAULT} threads unless given. */
    static ThreadsOption forBenchmarks() {
        return new ThreadsOption(BENCH_DEFAULT);
    }

    /** The threads given, else the default: {@link EngineConfig#defaultThreads()} or the benchmarks' 2. */
    int count() {
        if (threads != null) return threads;
        return fallback > 0 ? fallback : EngineConfig.defaultThreads();
    }
}
