package dev.sequoia.experiments.tokensperstep;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.speculative.AcceptanceMeasurer;
import dev.sequoia.engine.speculative.AutoTree;
import dev.sequoia.tree.AcceptanceVector;
import dev.sequoia.tree.Tree;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * The acceptance vector of the pair at one temperature, measured on-policy in several independent runs
 * (each run: one trajectory per prompt, its own seed) and pooled, so that the DP's prediction G(T) comes
 * with its own standard error: the spread of G over the runs. Greedy trajectories are deterministic, so
 * greedy needs (and gets) one run, and its G has no sampling error on these prompts.
 *
 * @param pooled the mean of the runs' vectors (every run measures the same number of contexts)
 * @param runs   each run's vector
 * @param steps  contexts measured in all
 */
public record AcceptanceRuns(AcceptanceVector pooled, List<AcceptanceVector> runs, double temperature, int steps) {
    public static AcceptanceRuns measure(Engine engine, List<String> prompts, int stepsPerPrompt, double temperature,
                                         int runs, long seed) {
        int n = temperature == 0 ? 1 : runs;
        SplittableRandom seeds = new SplittableRandom(seed);
        List<AcceptanceVector> vectors = new ArrayList<>();
        double[] sum = new double[AutoTree.WIDTH];
        int steps = 0;
        for (int r = 0; r < n; r++) {
            AcceptanceMeasurer.Result result = AcceptanceMeasurer.measure(engine.targetTransformer(),
                    engine.targetLayers(), engine.draftTransformer(), engine.tokenizer(), prompts, AutoTree.WIDTH,
                    stepsPerPrompt, temperature, 1, seeds.nextLong());
            vectors.add(AcceptanceVector.of(result.acceptance()));
            for (int k = 0; k < sum.length; k++) sum[k] += result.acceptance()[k] / n;
            steps += result.steps();
        }
        return new AcceptanceRuns(AcceptanceVector.of(sum), List.copyOf(vectors), temperature, steps);
    }

    /** G(T) over the pooled vector. */
    public double predicted(Tree tree) { return tree.expectedTokens(pooled); }

    /** Standard error of {@link #predicted}: the standard deviation of G over runs / sqrt(runs); NaN for one run. */
    public double predictedStderr(Tree tree) {
        int n = runs.size();
        if (n < 2) return Double.NaN;
        double[] g = runs.stream().mapToDouble(tree::expectedTokens).toArray();
        double mean = Arrays.stream(g).average().orElseThrow();
        double ss = Arrays.stream(g).map(v -> (v - mean) * (v - mean)).sum();
        return Math.sqrt(ss / (n - 1) / n);
    }

    public String describe() {
        String head = Arrays.stream(Arrays.copyOf(pooled.probabilities(), 8))
                .mapToObj(v -> String.format(Locale.ROOT, "%.4f", v)).collect(Collectors.joining(", "));
        double reject = 1 - Arrays.stream(pooled.probabilities()).sum();
        return String.format(Locale.ROOT, "T = %s: p[1..8] = [%s], reject-all %.4f (width %d, runs %d, %d contexts)",
                temperature == 0 ? "0" : Double.toString(temperature), head, Math.max(0, reject), AutoTree.WIDTH,
                runs.size(), steps);
    }
}
