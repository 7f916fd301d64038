package dev.sequoia.engine.api;

import dev.sequoia.engine.sampling.SamplingParams;

import java.util.List;

/**
 * One turn of generation in a session.
 *
 * @param prompt      text to append to the conversation before generating (may be empty)
 * @param maxTokens   the most tokens to generate
 * @param sampling    temperature, top-k, top-p and seed
 * @param stopStrings generation stops once the generated text contains one of these (it is kept in the text)
 * @param logprobs    how many top tokens (with log-probabilities) to report per generated position; 0 for none
 * @param parseSpecial whether special-token text in the prompt ({@code <|eot_id|>}, {@code </s>}) becomes
 *                     those tokens: off for user text, on for a rendered chat template. A prompt that then
 *                     starts with the BOS token's text gets no second BOS.
 */
public record GenerateRequest(String prompt, int maxTokens, SamplingParams sampling, List<String> stopStrings,
                              int logprobs, boolean parseSpecial) {
    public GenerateRequest {
        if (prompt == null) throw new IllegalArgumentException("prompt must not be null (use \"\")");
        if (maxTokens < 0) throw new IllegalArgumentException("max-tokens must be >= 0, got " + maxTokens);
        if (sampling == null) sampling = SamplingParams.greedy();
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        if (logprobs < 0) throw new IllegalArgumentException("logprobs must be >= 0, got " + logprobs);
    }

    /** Plain text: special-token text in the prompt stays text. */
    public GenerateRequest(String prompt, int maxTokens, SamplingParams sampling, List<String> stopStrings,
                           int logprobs) {
        this(prompt, maxTokens, sampling, stopStrings, logprobs, false);
    }

    public static GenerateRequest greedy(String prompt, int maxTokens) {
        return new GenerateRequest(prompt, maxTokens, SamplingParams.greedy(), List.of(), 0);
    }
}
