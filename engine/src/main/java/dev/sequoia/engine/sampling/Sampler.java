package dev.sequoia.engine.sampling;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Turns logits into a token: greedy, or a draw from the tempered distribution restricted by top-k and
 * top-p. Probabilities are computed in double.
 */
public final class Sampler {
    private Sampler() {}

    /** The index of the largest logit; the lowest index wins ties. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) best = i;
        }
        return best;
    }

    /** Picks the next token. */
    public static int sample(float[] logits, SamplingParams params, RandomGenerator random) {
        if (params.isGreedy()) return argmax(logits);
        double[] p = probabilities(logits, params);
        double u = random.nextDouble();
        double acc = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) continue;
            acc += p[i];
            last = i;
            if (u < acc) return i;
        }
        return last; // rounding left u above the total mass
    }

    /**
     * The distribution sampling draws from: softmax(logits / T), then top-k, then top-p, renormalised.
     * Requires T > 0.
     */
    public static double[] probabilities(float[] logits, SamplingParams params) {
        if (params.isGreedy()) throw new IllegalArgumentException("temperature 0 has no distribution: use argmax");
        double[] p = softmax(logits, params.temperature());
        if (params.topK() > 0 && params.topK() < p.length) keepTopK(p, params.topK());
        if (params.topP() < 1) keepTopP(p, params.topP());
        return p;
    }

    /** softmax(logits / temperature) in double. */
    public static double[] softmax(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    /** Zeroes all but the k largest entries (ties broken by lower index) and renormalises. */
    static void keepTopK(double[] p, int k) {
        Integer[] order = descending(p);
        for (int r = k; r < order.length; r++) p[order[r]] = 0;
        normalize(p);
    }

    /** Keeps the smallest prefix of the sorted distribution whose mass reaches topP, crossing token included. */
    static void keepTopP(double[] p, double topP) {
        Integer[] order = descending(p);
        double acc = 0;
        int r = 0;
        while (r < order.length && acc < topP) acc += p[order[r++]];
        for (; r < order.length; r++) p[order[r]] = 0;
        normalize(p);
    }

    private static Integer[] descending(double[] p) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        return order;
    }

    private static void normalize(double[] p) {
        double sum = 0;
        for (double v : p) sum += v;
        for (int i = 0; i < p.length; i++) p[i] /= sum;
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
        Integer[] order = descending(asDouble);
        TokenLogprob[] out = new TokenLogprob[Math.min(k, logits.length)];
        for (int r = 0; r < out.length; r++) out[r] = new TokenLogprob(order[r], logits[order[r]] - logZ);
        return out;
    }

    /** One entry of a logprobs list. */
    public record TokenLogprob(int token, double logprob) {}
}
