package dev.sequoia.engine.api;

import dev.sequoia.engine.sampling.Sampler.TokenLogprob;

import java.util.List;

/**
 * What a generation produced.
 *
 * @param promptTokens the prompt's token ids as fed (BOS included on a session's first turn)
 * @param tokens       generated token ids
 * @param text         the decoded continuation
 * @param stopReason   why it ended
 * @param logprobs     per generated position, the top tokens of the target's untempered distribution
 *                     (empty unless requested)
 * @param stats        telemetry
 */
public record GenerationResult(int[] promptTokens, int[] tokens, String text, StopReason stopReason,
                               List<TokenLogprob[]> logprobs, GenerationStats stats) {
}
