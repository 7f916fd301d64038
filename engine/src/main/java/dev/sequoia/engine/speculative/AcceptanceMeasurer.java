package dev.sequoia.engine.speculative;

import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.session.AutoregressiveDecoder;
import dev.sequoia.engine.tokenizer.Tokenizer;
import dev.sequoia.sample.Distributions;
import dev.sequoia.sample.SamplingParams;
import dev.sequoia.sample.TopK;
import dev.sequoia.sample.WithoutReplacement;
import dev.sequoia.verify.CandidateAcceptance;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Measures a model pair's acceptance vector on-policy, as Sequoia's {@code test_accept.py} does: at every
 * step of a generation that follows the target, the draft proposes W children of the current token
 * (without replacement; its top W when greedy) and the step records the probability that rank k is the
 * accepted one (the accept coins integrated out, {@link CandidateAcceptance}; greedy counts which rank
 * equals the target's argmax). The generation then continues with a token drawn from the target.
 */
public final class AcceptanceMeasurer {
    private AcceptanceMeasurer() {}

    /**
     * @param acceptance per rank k (1..W), P(child k is the accepted one)
     * @param rejectAll  P(no child accepted)
     * @param steps      contexts measured
     */
    public record Result(double[] acceptance, double rejectAll, int steps, int width, double temperature,
                         double topP) {
    }

    public static Result measure(LlamaTransformer target, LlamaTransformer draft, Tokenizer tokenizer,
                                 List<String> prompts, int width, int stepsPerPrompt, double temperature,
                                 double topP, long seed) {
        return measure(target, LayerSource.resident(target.weights()), draft, tokenizer, prompts, width,
                stepsPerPrompt, temperature, topP, seed);
    }

    /** {@link #measure} with the target's layers taken from {@code targetLayers} (resident or streamed). */
    public static Result measure(LlamaTransformer target, LayerSource targetLayers, LlamaTransformer draft,
                                 Tokenizer tokenizer, List<String> prompts, int width, int stepsPerPrompt,
                                 double temperature, double topP, long seed) {
        if (width < 1 || width > target.config().vocabSize()) {
            throw new IllegalArgumentException("width must be in 1.." + target.config().vocabSize() + ", got " + width);
        }
        if (prompts.isEmpty() || stepsPerPrompt < 1) throw new IllegalArgumentException("need prompts and steps >= 1");
        SamplingParams params = SamplingParams.of(temperature, topP);
        SplittableRandom random = new SplittableRandom(seed);
        double[] sum = new double[width];
        int steps = 0;
        for (String prompt : prompts) {
            int[] tokens = tokenizer.encode(prompt, tokenizer.bos() >= 0, false);
            if (tokens.length == 0) continue;
            int capacity = Math.min(target.config().contextLength(), draft.config().contextLength());
            int budgetSteps = Math.min(stepsPerPrompt, capacity - tokens.length - 1);
            steps += measurePrompt(target, targetLayers, draft, tokens, budgetSteps, width, params, random, sum);
        }
        if (steps == 0) throw new IllegalArgumentException("no step could be measured: prompts too long for the context");
        double total = 0;
        for (int k = 0; k < width; k++) {
            sum[k] /= steps;
            total += sum[k];
        }
        return new Result(sum, Math.max(0, 1 - total), steps, width, temperature, topP);
    }

    private static int measurePrompt(LlamaTransformer target, LayerSource targetLayers, LlamaTransformer draft,
                                     int[] prompt, int steps, int width, SamplingParams params,
                                     SplittableRandom random, double[] sum) {
        int capacity = prompt.length + steps + 1;
        TransformerModel t = new TransformerModel(target, targetLayers, capacity);
        TransformerModel d = new TransformerModel(draft, capacity);
        int[] prefix = java.util.Arrays.copyOf(prompt, prompt.length - 1);
        AutoregressiveDecoder.feedChain(target, targetLayers, t.cache(), prefix);
        AutoregressiveDecoder.feedChain(draft, d.cache(), prefix);
        int current = prompt[prompt.length - 1];
        for (int s = 0; s < steps; s++) {
            double[] p = params.targetDistribution(forwardOne(t, current));
            double[] q = params.draftDistribution(forwardOne(d, current));
            if (params.isGreedy()) {
                int argmax = Distributions.argmax(p);
                int[] top = TopK.indices(q, width);
                for (int k = 0; k < top.length; k++) if (top[k] == argmax) sum[k] += 1;
                current = argmax;
            } else {
                double[] m = CandidateAcceptance.sequoia(p, q, WithoutReplacement.sample(q, width, random));
                for (int k = 0; k < width; k++) sum[k] += m[k];
                current = Distributions.sample(p, random);
            }
        }
        return steps;
    }

    private static float[] forwardOne(TransformerModel model, int token) {
        float[] logits = model.forward(new int[]{token}, new int[]{-1})[0];
        model.keep(new int[]{0});
        return logits;
    }
}
