package dev.sequoia.sample;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Probability vectors over a vocabulary, in double: softmax with temperature, Hugging Face top-p,
 * argmax and categorical sampling. Stateless.
 */
public final class Distributions {
    private Distributions() {
    }

    /** softmax(logits / temperature) for temperature > 0, computed in double with the max subtracted. */
    public static double[] softmax(float[] logits, double temperature) {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("softmax temperature " + temperature + ": expected > 0");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** The one-hot distribution at {@link #argmax}: temperature 0. */
    public static double[] oneHot(int vocab, int token) {
        double[] p = new double[vocab];
        p[token] = 1;
        return p;
    }

    /** Index of the largest value; the lowest index wins ties (plain greedy decoding's convention). */
    public static int argmax(float[] values) {
        int arg = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[arg]) {
                arg = i;
            }
        }
        return arg;
    }

    public static int argmax(double[] values) {
        int arg = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[arg]) {
                arg = i;
            }
        }
        return arg;
    }

    /**
     * Hugging Face top-p ({@code TopPLogitsWarper}): keep the most probable tokens whose cumulative
     * probability first reaches {@code topP}, the crossing token included, drop the rest, renormalise.
     * {@code topP >= 1} keeps everything. Ties in probability are ordered by token id.
     */
    public static double[] topP(double[] p, double topP) {
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p " + topP + ": expected a value in (0, 1]");
        }
        if (topP >= 1) {
            return p.clone();
        }
        Integer[] order = byDescendingProbability(p);
        double[] out = new double[p.length];
        double before = 0;
        double kept = 0;
        for (Integer token : order) {
            if (before >= topP) {
                break;
            }
            out[token] = p[token];
            kept += p[token];
            before += p[token];
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= kept;
        }
        return out;
    }

    private static Integer[] byDescendingProbability(double[] p) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        return order;
    }

    /** A draw from {@code p} by inverse CDF; rounding never lands on a zero-probability token. */
    public static int sample(double[] p, RandomGenerator rng) {
        double total = 0;
        for (double v : p) {
            total += v;
        }
        double u = rng.nextDouble() * total;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                last = i;
                u -= p[i];
                if (u < 0) {
                    return i;
                }
            }
        }
        if (last < 0) {
            throw new IllegalArgumentException("cannot sample from a distribution with no mass over "
                    + p.length + " tokens");
        }
        return last;
    }

    /** Scales {@code p} in place to sum 1; returns false (leaving it unchanged) when its mass is at most {@code eps}. */
    public static boolean normalizeInPlace(double[] p, double eps) {
        double sum = 0;
        for (double v : p) {
            sum += v;
        }
        if (!(sum > eps)) {
            return false;
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return true;
    }
}
