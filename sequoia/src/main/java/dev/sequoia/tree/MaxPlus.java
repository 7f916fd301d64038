package dev.sequoia.tree;

/**
 * The inner loop of every tree DP: the max-plus step
 * {@code max over m in [lo, hi] of first[n - m] + p * sub[m]}, where {@code first} prices the root with
 * its first b-1 subtrees and {@code sub[m]} the best subtree of m nodes under the b-th child.
 *
 * <p>{@link #best} is the fast form (four independent running maxima, no boxing, no branches on the
 * data's sign); {@link #argBest} is its plain scalar twin that also names the first maximising m. Both
 * evaluate the identical expression, so {@code argBest} reproduces {@code best}'s value bit for bit.
 * Callers keep every index in range feasible (finite), so no {@code 0 * -inf} NaN can arise.
 */
final class MaxPlus {
    private MaxPlus() {
    }

    /** The maximum; {@code -inf} when {@code lo > hi}. */
    static double best(double[] first, double[] sub, double p, int n, int lo, int hi) {
        double b0 = Double.NEGATIVE_INFINITY, b1 = b0, b2 = b0, b3 = b0;
        int m = lo;
        for (; m + 3 <= hi; m += 4) {
            double v0 = first[n - m] + p * sub[m];
            double v1 = first[n - m - 1] + p * sub[m + 1];
            double v2 = first[n - m - 2] + p * sub[m + 2];
            double v3 = first[n - m - 3] + p * sub[m + 3];
            b0 = v0 > b0 ? v0 : b0;
            b1 = v1 > b1 ? v1 : b1;
            b2 = v2 > b2 ? v2 : b2;
            b3 = v3 > b3 ? v3 : b3;
        }
        for (; m <= hi; m++) {
            double v = first[n - m] + p * sub[m];
            b0 = v > b0 ? v : b0;
        }
        return Math.max(Math.max(b0, b1), Math.max(b2, b3));
    }

    /** The smallest m attaining the maximum; -1 when {@code lo > hi}. */
    static int argBest(double[] first, double[] sub, double p, int n, int lo, int hi) {
        double best = Double.NEGATIVE_INFINITY;
        int arg = -1;
        for (int m = lo; m <= hi; m++) {
            double v = first[n - m] + p * sub[m];
            if (v > best) {
                best = v;
                arg = m;
            }
        }
        return arg;
    }
}
