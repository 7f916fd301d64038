package dev.sequoia.experiments.output;

import org.apache.commons.math3.distribution.ChiSquaredDistribution;

import java.util.Arrays;

/**
 * Pearson's chi-square goodness of fit of observed counts against cell probabilities, for laws with many
 * improbable cells: cells expecting fewer than 5 counts are pooled, smallest first, into one cell that expects
 * at least 5 (or into the smallest kept cell when the remainder expects less). A count in a zero-probability cell
 * is an outright failure (p = 0).
 *
 * @param statistic the chi-square statistic
 * @param dof       degrees of freedom (cells after pooling, minus one)
 * @param pValue    P(chi-square with dof degrees > statistic)
 */
public record ChiSquare(double statistic, int dof, double pValue) {
    private static final double MIN_EXPECTED = 5;

    public static ChiSquare test(long[] observed, double[] p) {
        if (observed.length != p.length) throw new IllegalArgumentException("observed and p lengths differ");
        long n = Arrays.stream(observed).sum();
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0 && observed[i] > 0) return new ChiSquare(Double.POSITIVE_INFINITY, 0, 0);
        }
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(p[a], p[b]));
        int next = 0;
        double poolP = 0;
        long poolO = 0;
        while (next < order.length && n * p[order[next]] < MIN_EXPECTED) {
            poolP += p[order[next]];
            poolO += observed[order[next]];
            next++;
        }
        double stat = 0;
        int cells = 0;
        if (n * poolP >= MIN_EXPECTED || (next == order.length && poolP > 0)) {
            stat += term(poolO, n * poolP);
            cells++;
        } else if (poolP > 0 && next < order.length) { // fold a too-small pool into the smallest kept cell
            int c = order[next++];
            stat += term(poolO + observed[c], n * (poolP + p[c]));
            cells++;
        }
        for (int r = next; r < order.length; r++) {
            if (p[order[r]] == 0) continue;
            stat += term(observed[order[r]], n * p[order[r]]);
            cells++;
        }
        int dof = Math.max(1, cells - 1);
        double pValue = 1 - new ChiSquaredDistribution(dof).cumulativeProbability(stat);
        return new ChiSquare(stat, dof, pValue);
    }

    private static double term(long o, double e) {
        return (o - e) * (o - e) / e;
    }
}
