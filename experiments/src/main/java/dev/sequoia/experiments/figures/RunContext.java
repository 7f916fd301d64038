package dev.sequoia.experiments.figures;

import dev.sequoia.experiments.pair.TinyPair;

import java.nio.file.Path;

/**
 * What a run of an experiment is given: quick or full, where files go, the real tiny pair (opened on first use,
 * closed by the caller), threads, seed and the command that started it (for the report).
 */
public final class RunContext implements AutoCloseable {
    private final boolean quick;
    private final Path out;
    private final Path models;
    private final int threads;
    private final long seed;
    private final String command;
    private final java.util.Map<String, String> params;
    private TinyPair pair;

    public RunContext(boolean quick, Path out, Path models, int threads, long seed, String command) {
        this(quick, out, models, threads, seed, command, java.util.Map.of());
    }

    /** @param params experiment-specific settings ({@code -P key=value}), e.g. a model path */
    public RunContext(boolean quick, Path out, Path models, int threads, long seed, String command,
                      java.util.Map<String, String> params) {
        this.params = java.util.Map.copyOf(params);
        this.quick = quick;
        this.out = out;
        this.models = models;
        this.threads = threads;
        this.seed = seed;
        this.command = command;
    }

    public boolean quick() { return quick; }
    public Path out() { return out; }
    public Path models() { return models; }
    public int threads() { return threads; }
    public long seed() { return seed; }
    public String command() { return command; }

    /** An experiment-specific setting, or {@code fallback}. */
    public String param(String key, String fallback) { return params.getOrDefault(key, fallback); }

    /** The stories260K pair, opened once per run. */
    public synchronized TinyPair pair() {
        if (pair == null) pair = TinyPair.open(models, threads);
        return pair;
    }

    /** A seed for one task: a fixed function of the run's seed and the task's key, so resumed tasks draw alike. */
    public long seedFor(Object... key) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (Object k : key) h = h * 31 + String.valueOf(k).hashCode();
        return new java.util.SplittableRandom(h).nextLong();
    }

    @Override
    public void close() {
        if (pair != null) pair.close();
    }
}
