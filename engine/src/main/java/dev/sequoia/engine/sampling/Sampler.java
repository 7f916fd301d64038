package dev.sequoia.engine.sampling;

import dev.sequoia.sample.Distributions;
import dev.sequoia.sample.TopK;

import java.util.random.RandomGenerator;

/**
 * Turns logits into a token: greedy, or a draw from the tempered distribution restricted by top-k and
 * top-p. The probability arithmetic (softmax, Hugging Face top-p, argmax, inverse-CDF draws) is the
 * sequoia module's {@link Distributions}, the same code the speculative verifier uses, so plain and
 * speculative decoding sample from one definition of the target distribution.
 */
public final class Sampler {
    private Sampler() {}

    /** The index of the largest logit; the lowest index wins ties. */
    public static int argmax(float[] logits) {
        return Distributions.argmax(logits);
    }

    /** Picks the next token. */
    public static int sample(float[] logits, SamplingParams params, RandomGenerator random) {
        if (params.isGreedy()) return argmax(logits);
        return Distributions.sample(probabilities(logits, params), random);
    }

    /**
     * The distribution sampling draws from: softmax(logits / T), then top-k, then top-p, renormalised.
     * Requires T > 0.
     */
    public static double[] probabilities(float[] logits, SamplingParams params) {
        if (params.isGreedy()) throw new IllegalArgumentException("temperature 0 has no distribution: use argmax");
        double[] p = Distributions.softmax(logits, params.temperature());
        if (params.topK() > 0 && params.topK() < p.length) p = keepTopK(p, params.topK());
        return Distributions.topP(p, params.topP());
    }

    /** Zeroes all but the k largest entries and renormalises. */
    private static double[] keepTopK(double[] p, int k) {
        double[] kept = new double[p.length];
        for (int token : TopK.indices(p, k)) kept[token] = p[token];
        Distributions.normalizeInPlace(kept, 0);
        return kept;
    }

    /** The k most likely tokens of the untempered distribution with their natural-log probabilities. */
    public static TokenLogprob[] topLogprobs(float[] logits, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double logZ = max + Math.log(sum);
        double[] asDouble = new double[logits.length];
        for (int i = 0; i < logits.length; i++) asDouble[i] = logits[i];
        int[] top = TopK.indices(asDouble, Math.min(k, logits.length));
        TokenLogprob[] out = new TokenLogprob[top.length];
        for (int r = 0; r < top.length; r++) out[r] = new TokenLogprob(top[r], logits[top[r]] - logZ);
        return out;
    }

    /** One entry of a logprobs list. */
    public record TokenLogprob(int token, double logprob) {}
}
