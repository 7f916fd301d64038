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
 * @param prefillNanos   time until the prompt's feeding was done or under way: in a shared pass the prompt's
 *                       last chunk rides the first step's forward (counted as decoding), so this is the wait for
 *                       that pass and any earlier chunks' passes; a session stepping alone feeds before its step
 * @param draftNanos     time in draft forwards
 * @param verifyNanos    time in target forwards during generation
 * @param sampleNanos    time sampling and verifying
 * @param totalNanos     wall time from start to end of the generation, prefill included
 * @param offload        the target's layer streaming summed over this generation's passes, prefill included
 *                       ({@link PassTelemetry#NONE} when the target is resident)
 * @param draftedTokens  draft tokens the target verified (tree nodes besides the roots), over all steps
 * @param acceptedTokens drafted tokens the target accepted (each step emits its accepted tokens and one more)
 * @param sharedSteps    steps whose target pass verified other sessions' trees too
 * @param passShare      this session's mean share of its steps' target passes: its rows over the pass's rows
 *                       (1 when it ran alone)
 */
public record GenerationStats(int promptTokens, int cachedTokens, int tokens, int targetForwards, int draftForwards,
                              long prefillNanos, long draftNanos, long verifyNanos, long sampleNanos,
                              long totalNanos, PassTelemetry offload, long draftedTokens, long acceptedTokens,
                              int sharedSteps, double passShare) {
    public GenerationStats {
        if (offload == null) offload = PassTelemetry.NONE;
    }

    /** Statistics of a generation that ran alone and drafted nothing (the form before shared passes). */
    public GenerationStats(int promptTokens, int cachedTokens, int tokens, int targetForwards, int draftForwards,
                           long prefillNanos, long draftNanos, long verifyNanos, long sampleNanos, long totalNanos,
                           PassTelemetry offload) {
        this(promptTokens, cachedTokens, tokens, targetForwards, draftForwards, prefillNanos, draftNanos, verifyNanos,
                sampleNanos, totalNanos, offload, 0, 0, 0, targetForwards == 0 ? 0 : 1);
    }

    /** Generated tokens per target forward: the speculative gain (1 for plain decoding). */
    public double tokensPerStep() { return targetForwards == 0 ? 0 : tokens / (double) targetForwards; }

    /** Generated tokens per second of decoding (prefill excluded). */
    public double tokensPerSecond() {
        long decode = totalNanos - prefillNanos;
        return decode <= 0 ? 0 : tokens * 1e9 / decode;
    }
}
