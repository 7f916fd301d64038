package dev.sequoia.experiments.pair;

import dev.sequoia.decode.SpeculativeDecoder;
import dev.sequoia.decode.TreePolicy;
import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.speculative.TransformerModel;
import dev.sequoia.experiments.tokensperstep.Measurement;
import dev.sequoia.sample.SamplingParams;
import dev.sequoia.verify.Verifier;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Speculative decoding of the tiny pair with any tree policy and any verifier (the engine's session decoder
 * always uses Sequoia's), counting tokens per target forward over prompts and seeds. Each generation runs
 * whole steps until it has at least {@code tokens} tokens (BOS, the story end, is decoded through like any
 * token), so every step counts whole. Also times generations, for measured speedups.
 */
public final class PairRunner {
    private final Engine engine;
    private final List<int[]> prompts;
    private final int tokens;

    /** What one configuration measured: tokens per step (clustered by generation) and the decoding seconds. */
    public record Result(Measurement measurement, double seconds) {
        public double secondsPerToken() { return seconds / measurement.tokens(); }
    }

    public PairRunner(Engine engine, List<String> prompts, int tokens) {
        if (prompts.isEmpty() || tokens < 1) throw new IllegalArgumentException("need prompts and tokens >= 1");
        this.engine = engine;
        this.prompts = prompts.stream().map(p -> engine.tokenizer().encode(p, true, false)).toList();
        this.tokens = tokens;
    }

    /**
     * @param policy   a fresh tree policy per generation (policies may keep state)
     * @param verifier null for the decoder's default (Sequoia's; greedy at temperature 0)
     * @param maxNodes most nodes per step, root included (sizes the caches)
     * @param seeds    generations per prompt (1 at temperature 0: greedy is deterministic)
     */
    public Result measure(Supplier<TreePolicy> policy, Verifier verifier, SamplingParams params, int maxNodes,
                          int seeds, long seed) {
        Measurement m = new Measurement();
        SplittableRandom seedSource = new SplittableRandom(seed);
        int runs = params.isGreedy() ? 1 : seeds;
        long nanos = 0;
        for (int[] prompt : prompts) {
            for (int s = 0; s < runs; s++) {
                SplittableRandom rng = new SplittableRandom(seedSource.nextLong());
                int rows = prompt.length + tokens + 2 * maxNodes + 8;
                TransformerModel target = PairModel.of(engine.targetTransformer(), engine.targetLayers(), rows);
                TransformerModel draft = PairModel.of(engine.draftTransformer(),
                        dev.sequoia.engine.model.LayerSource.resident(engine.draftTransformer().weights()), rows);
                SpeculativeDecoder decoder = verifier == null
                        ? new SpeculativeDecoder(target, draft, policy.get(), params, rng)
                        : new SpeculativeDecoder(target, draft, policy.get(), verifier, params, rng);
                long t0 = System.nanoTime();
                decoder.prefill(prompt);
                while (decoder.counters().emittedTokens() < tokens) decoder.step();
                nanos += System.nanoTime() - t0;
                m.add(decoder.counters().emittedTokens(), decoder.counters().targetForwards());
            }
        }
        return new Result(m, nanos / 1e9);
    }

    /** Plain autoregressive decoding of the target alone: seconds per token over the same prompts. */
    public double autoregressiveSecondsPerToken(SamplingParams params, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        long nanos = 0, count = 0;
        for (int[] prompt : prompts) {
            TransformerModel target = PairModel.of(engine.targetTransformer(), engine.targetLayers(), prompt.length + tokens + 8);
            long t0 = System.nanoTime();
            int n = prompt.length - 1;
            int[] parents = new int[n], path = new int[n];
            for (int i = 0; i < n; i++) {
                parents[i] = i - 1;
                path[i] = i;
            }
            if (n > 0) {
                target.forward(java.util.Arrays.copyOf(prompt, n), parents);
                target.keep(path);
            }
            int token = prompt[n];
            for (int i = 0; i < tokens; i++) {
                float[] logits = target.forward(new int[]{token}, new int[]{-1})[0];
                target.keep(new int[]{0});
                double[] p = params.targetDistribution(logits);
                token = params.isGreedy() ? dev.sequoia.sample.Distributions.argmax(p)
                        : dev.sequoia.sample.Distributions.sample(p, rng);
            }
            nanos += System.nanoTime() - t0;
            count += tokens;
        }
        return nanos / 1e9 / count;
    }
}
