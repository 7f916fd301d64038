package dev.sequoia.engine.cli;

import dev.sequoia.engine.sampling.SamplingParams;
import picocli.CommandLine.Option;

/** How {@code generate} samples each token: temperature, top-p, top-k and the seed. */
final class SamplingOptions {
    @Option(names = {"-t", "--temperature"}, defaultValue = "0", description = "0 = greedy (default), otherwise softmax temperature.")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass in (0,1] (default: ${DEFAULT-VALUE}, off).")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the K most likely tokens (default: 0, off).")
    int topK;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    SamplingParams params() {
        return new SamplingParams(temperature, topK, topP, seed);
    }
}
