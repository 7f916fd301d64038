package dev.sequoia.verify;

import dev.sequoia.sample.Distributions;

/**
 * The residual distribution after a rejection, {@code normalize(max(R - D, 0))}, guarded against the
 * rounding cases the reference code turned into NaN: when the difference has (numerically) no mass the
 * previous residual is kept, without the rejected token.
 */
final class Residual {
    /** Mass below this after subtraction is rounding noise (the exact mass is at least D(s) - R(s) > 0). */
    static final double EPS = 1e-12;

    private Residual() {
    }

    static double[] after(double[] r, double[] d, int rejected) {
        double[] next = new double[r.length];
        for (int x = 0; x < r.length; x++) {
            next[x] = Math.max(r[x] - d[x], 0.0);
        }
        if (Distributions.normalizeInPlace(next, EPS)) {
            return next;
        }
        double[] kept = r.clone();
        kept[rejected] = 0;
        return Distributions.normalizeInPlace(kept, 0) ? kept : r.clone();
    }
}
