package dev.sequoia.sample;

import java.util.random.RandomGenerator;

/**
 * Sampling k distinct tokens from q in the order of successive draws without replacement, by exponential
 * sort (Gumbel-top-k): token x gets the key {@code log(u_x) / q(x)} and the k largest keys, in
 * decreasing order, are distributed exactly as draws from q, then q without the first renormalised, and
 * so on. When q's support runs out, the remaining draws are uniform over the tokens not yet drawn, the
 * same fallback Sequoia's verifier uses, so proposals and verifier always agree on the law.
 */
public final class WithoutReplacement {
    private WithoutReplacement() {
    }

    /** @return min(k, |vocab|) distinct tokens, rank 1 first */
    public static int[] sample(double[] q, int k, RandomGenerator rng) {
        int count = Math.min(k, q.length);
        int[] top = new int[count];
        double[] topKeys = new double[count];
        int filled = 0;
        int zeroMass = 0;
        for (int x = 0; x < q.length; x++) {
            if (!(q[x] > 0)) {
                zeroMass++;
                continue;
            }
            double key = Math.log(1 - rng.nextDouble()) / q[x]; // u in (0, 1]: key in (-inf, 0]
            if (filled < count) {
                filled++;
            } else if (!(key > topKeys[count - 1])) {
                continue;
            }
            int pos = filled - 1;
            while (pos > 0 && key > topKeys[pos - 1]) {
                topKeys[pos] = topKeys[pos - 1];
                top[pos] = top[pos - 1];
                pos--;
            }
            topKeys[pos] = key;
            top[pos] = x;
        }
        if (filled < count) {
            fillUniformly(q, zeroMass, top, filled, rng);
        }
        return top;
    }

    /** Support exhausted: the next draws are uniform over the zero-mass tokens, without replacement. */
    private static void fillUniformly(double[] q, int zeroMass, int[] top, int filled, RandomGenerator rng) {
        int[] rest = new int[zeroMass];
        for (int x = 0, i = 0; x < q.length; x++) {
            if (!(q[x] > 0)) {
                rest[i++] = x;
            }
        }
        for (int i = 0; filled < top.length; i++) {
            int j = i + rng.nextInt(rest.length - i);
            int t = rest[j];
            rest[j] = rest[i];
            rest[i] = t;
            top[filled++] = t;
        }
    }
}
