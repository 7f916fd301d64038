package dev.sequoia.experiments.tokensperstep;

import java.util.ArrayList;
import java.util.List;

/**
 * Tokens and target forwards (steps) of each generation of one configuration, and their ratio: the mean
 * tokens per step over all steps, with a standard error clustered by generation (steps of one generation
 * share a context, so they are not independent; generations are).
 *
 * <p>Mutable while a run fills it; owned by the {@link StepMeter} run that creates it.
 */
public final class Measurement {
    private final List<long[]> generations = new ArrayList<>(); // {tokens, steps} per generation

    /** Records one generation's totals. */
    public void add(long tokens, long steps) {
        if (tokens < 0 || steps <= 0) {
            throw new IllegalArgumentException("a generation needs steps >= 1 and tokens >= 0, got tokens "
                    + tokens + ", steps " + steps);
        }
        generations.add(new long[]{tokens, steps});
    }

    public int generations() { return generations.size(); }

    public long tokens() { return generations.stream().mapToLong(g -> g[0]).sum(); }

    public long steps() { return generations.stream().mapToLong(g -> g[1]).sum(); }

    /** R = sum of tokens / sum of steps. */
    public double tokensPerStep() {
        if (generations.isEmpty()) throw new IllegalStateException("no generation measured");
        return tokens() / (double) steps();
    }

    /**
     * Standard error of the ratio estimator R by linearization over generations i:
     * sqrt(n / (n - 1) * sum_i (t_i - R s_i)^2) / sum_i s_i. NaN for fewer than two generations.
     */
    public double standardError() {
        int n = generations.size();
        if (n < 2) return Double.NaN;
        double r = tokensPerStep();
        double sum = 0;
        for (long[] g : generations) {
            double residual = g[0] - r * g[1];
            sum += residual * residual;
        }
        return Math.sqrt(n / (n - 1.0) * sum) / steps();
    }
}
