package dev.sequoia.engine.api;

import dev.sequoia.offload.telemetry.PassTelemetry;

/**
 * Telemetry of one generation.
 *
 * @param promptTokens   tokens fed before generating (after any prefix-cache hit)
 * @param cachedTokens   prompt tokens whose KV came from the prefix cache
 * @param tokens         tokens generated
 * @param targetForwards target forward passes during generation (steps)
 * @param draftForwards  draft forward passes during generation
 * @param prefillNanos   time feeding the prompt
 * @param draftNanos     time in draft forwards
 * @param verifyNanos    time in target forwards during generation
 * @param sampleNanos    time sampling and verifying
 * @param totalNanos     wall time from start to end of the generation, prefill included
 * @param offload        the target's layer streaming summed over this generation's passes, prefill included
 *                       ({@link PassTelemetry#NONE} when the target is resident)
 */
public record GenerationStats(int promptTokens, int cachedTokens, int tokens, int targetForwards, int draftForwards,
                              long prefillNanos, long draftNanos, long verifyNanos, long sampleNanos,
                              long totalNanos, PassTelemetry offload) {
    public GenerationStats {
        if (offload == null) offload = PassTelemetry.NONE;
    }

    /** Generated tokens per target forward: the speculative gain (1 for plain decoding). */
    public double tokensPerStep() { return targetForwards == 0 ? 0 : tokens / (double) targetForwards; }

    /** Generated tokens per second of decoding (prefill excluded). */
    public double tokensPerSecond() {
        long decode = totalNanos - prefillNanos;
        return decode <= 0 ? 0 : tokens * 1e9 / decode;
    }
}
