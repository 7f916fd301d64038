package dev.sequoia.engine.api;

import dev.sequoia.engine.sampling.SamplingParams;

import java.util.List;

/** A test session's setup: its decoder's tree ("none" for plain decoding), prompt, sampling and length. */
record SessionSpec(String tree, String prompt, double temperature, double topP, long seed, int maxTokens) {
    static SessionSpec greedy(String tree, String prompt, int maxTokens) {
        return new SessionSpec(tree, prompt, 0, 1, 0, maxTokens);
    }

    GenerateRequest request() {
        SamplingParams s = temperature == 0 ? SamplingParams.greedy() : new SamplingParams(temperature, 0, topP, seed);
        return new GenerateRequest(prompt, maxTokens, s, List.of(), 0);
    }
}
