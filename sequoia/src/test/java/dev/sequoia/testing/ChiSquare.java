package dev.sequoia.testing;

/**
 * Pearson's chi-square goodness-of-fit test for the statistical exactness tests (this module's and, through
 * its test jar, the engine's). The p-value is the regularised upper incomplete gamma function Q(dof/2, x/2),
 * by its power series below a+1 and its continued fraction (modified Lentz) above.
 */
public final class ChiSquare {
    /** Smallest expected count a cell of {@link #pooledPValue} keeps on its own. */
    private static final double MIN_EXPECTED = 5;

    private ChiSquare() {
    }

    /** P(chi-square with {@code dof} degrees of freedom > x). */
    public static double upperTail(int dof, double x) {
        return upperGamma(dof / 2.0, x / 2);
    }

    /**
     * p-value of observed counts against cell probabilities (summing to 1), for large vocabularies where many
     * cells expect few counts: cells expecting fewer than 5 are pooled into one, smallest first, joined with the
     * next smallest while the pool still expects fewer than 5. A count in a zero-probability cell gives 0.
     */
    public static double pooledPValue(long[] observed, double[] p) {
        long n = 0;
        for (long o : observed) {
            n += o;
        }
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0 && observed[i] > 0) {
                return 0;
            }
        }
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(p[a], p[b])); // ascending expected count
        double pooledExpected = 0;
        long pooledObserved = 0;
        int next = 0;
        while (next < order.length - 1
                && (n * p[order[next]] < MIN_EXPECTED || (next > 0 && n * pooledExpected < MIN_EXPECTED))) {
            pooledExpected += p[order[next]];
            pooledObserved += observed[order[next]];
            next++;
        }
        double stat = 0;
        int cells = 0;
        if (next > 0) {
            double e = n * pooledExpected;
            stat += (pooledObserved - e) * (pooledObserved - e) / e;
            cells++;
        }
        for (int r = next; r < order.length; r++) {
            double e = n * p[order[r]];
            stat += (observed[order[r]] - e) * (observed[order[r]] - e) / e;
            cells++;
        }
        return upperTail(cells - 1, stat);
    }

    /** p-value of observed counts against expected probabilities; cells with zero probability must be empty. */
    public static double pValue(long[] observed, double[] expected) {
        long total = 0;
        for (long o : observed) {
            total += o;
        }
        double stat = 0;
        int cells = 0;
        for (int i = 0; i < observed.length; i++) {
            double e = expected[i] * total;
            if (e == 0) {
                if (observed[i] != 0) {
                    return 0.0;
                }
                continue;
            }
            cells++;
            stat += (observed[i] - e) * (observed[i] - e) / e;
        }
        return upperGamma((cells - 1) / 2.0, stat / 2);
    }

    static double upperGamma(double a, double x) {
        if (x <= 0) {
            return 1;
        }
        if (x < a + 1) {
            double term = 1 / a;
            double sum = term;
            for (int n = 1; n < 10_000 && Math.abs(term) > Math.abs(sum) * 1e-15; n++) {
                term *= x / (a + n);
                sum += term;
            }
            return 1 - sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
        }
        double tiny = 1e-300;
        double b = x + 1 - a;
        double c = 1 / tiny;
        double d = 1 / b;
        double h = d;
        for (int i = 1; i < 10_000; i++) {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            d = Math.abs(d) < tiny ? tiny : d;
            c = b + an / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15) {
                break;
            }
        }
        return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
    }

    /** Lanczos approximation (g = 7, 9 terms), accurate to ~1e-15 for a > 0. */
    static double logGamma(double a) {
        double[] c = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7};
        if (a < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * a))) - logGamma(1 - a);
        }
        a -= 1;
        double x = c[0];
        for (int i = 1; i < 9; i++) {
            x += c[i] / (a + i);
        }
        double t = a + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (a + 0.5) * Math.log(t) - t + Math.log(x);
    }
}
