package dev.sequoia.engine.cli;

import dev.sequoia.engine.api.EngineConfig;
import picocli.CommandLine.Option;

/** {@code --threads}, for the commands whose default is every core (the benchmarks keep their own default of 2). */
final class ThreadsOption {
    @Option(names = "--threads", description = "Compute threads (default: all cores).")
    Integer threads;

    /** The threads given, else {@link EngineConfig#defaultThreads()}. */
    int count() {
        return threads == null ? EngineConfig.defaultThreads() : threads;
    }
}
