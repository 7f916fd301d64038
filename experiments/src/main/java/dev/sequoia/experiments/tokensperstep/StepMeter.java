package dev.sequoia.experiments.tokensperstep;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.session.StepDecoder;
import dev.sequoia.engine.speculative.SpeculativeStepDecoder;
import dev.sequoia.engine.speculative.TreeProvider;
import dev.sequoia.engine.speculative.TreeSpec;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Runs speculative decoding with one fixed tree over prompts and seeds and counts tokens per target
 * forward. It drives the engine's own session decoder ({@link SpeculativeStepDecoder}, the KV caches and
 * the sequoia module's decoding loop) step by step rather than through a session, so that every step is
 * counted whole: a session stops mid-step at max-tokens or at a story-ending BOS, which would bias the
 * count. A generation here runs until it has at least {@code tokens} tokens, BOS included as an ordinary
 * token (the model then starts a new story).
 *
 * <p>Runs on the caller's thread; the engine must have no generation running.
 */
public final class StepMeter {
    private final Engine engine;
    private final List<String> prompts;
    private final int tokens;

    public StepMeter(Engine engine, List<String> prompts, int tokens) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("at least one prompt is needed");
        if (tokens < 1) throw new IllegalArgumentException("tokens per generation must be >= 1, got " + tokens);
        this.engine = engine;
        this.prompts = List.copyOf(prompts);
        this.tokens = tokens;
    }

    /** One generation per prompt and seed (greedy decoding needs one seed: it is deterministic). */
    public Measurement measure(TreeSpec tree, double temperature, int seeds, long firstSeed) {
        Measurement m = new Measurement();
        SplittableRandom seedSource = new SplittableRandom(firstSeed);
        int runs = temperature == 0 ? 1 : seeds;
        for (String prompt : prompts) {
            for (int s = 0; s < runs; s++) {
                SamplingParams sampling = new SamplingParams(temperature, 0, 1, seedSource.nextLong());
                Generated g = generate(tree, prompt, sampling);
                m.add(g.tokens(), g.steps());
            }
        }
        return m;
    }

    /** Tokens one generation produced (its last step counted whole) and the target forwards it took. */
    private record Generated(long tokens, long steps) {}

    /** Generates at least {@code tokens} tokens after the prompt. */
    private Generated generate(TreeSpec tree, String prompt, SamplingParams sampling) {
        int[] promptTokens = engine.tokenizer().encode(prompt, true, false);
        int capacity = Math.min(engine.target().config().contextLength(), engine.draft().config().contextLength());
        if (promptTokens.length + tokens + 2L * tree.maxSize() > capacity) {
            throw new IllegalArgumentException("prompt '" + prompt + "' (" + promptTokens.length + " tokens) plus "
                    + tokens + " tokens and a tree of " + tree.maxSize() + " nodes do not fit the context of "
                    + capacity);
        }
        SplittableRandom random = new SplittableRandom(sampling.seed());
        try (StepDecoder decoder = new SpeculativeStepDecoder(engine.targetTransformer(), engine.targetLayers(),
                engine.draftTransformer(), TreeProvider.fixed(tree), capacity)) {
            decoder.feed(Arrays.copyOf(promptTokens, promptTokens.length - 1));
            int root = promptTokens[promptTokens.length - 1];
            long generated = 0, steps = 0;
            while (generated < tokens) {
                int[] out = decoder.step(root, sampling, random).tokens();
                generated += out.length;
                steps++;
                root = out[out.length - 1];
            }
            return new Generated(generated, steps);
        }
    }
}
