package dev.sequoia.experiments.tokensperstep;

import java.util.Locale;

/**
 * One line of the tokens-per-step table: a tree at a temperature, what speculative decoding measured and
 * what the DP predicts from the acceptance vector measured at that temperature.
 *
 * @param tree        how the tree was made ("sequoia", "chain:8", "4x8")
 * @param nodes       tree size, root included
 * @param levels      tree depth in levels, root included
 * @param temperature 0 for greedy
 * @param measured    tokens per target forward
 * @param stderr      its standard error, clustered by generation
 * @param predicted   G(T), expected tokens per step under positional acceptance
 * @param predictedStderr standard error of G(T) from the acceptance vector's sampling error
 * @param steps       target forwards measured
 * @param seconds     wall time of the row's generations
 */
public record Row(String tree, int nodes, int levels, double temperature, double measured, double stderr,
                  double predicted, double predictedStderr, long steps, double seconds) {
    public double ratio() { return measured / predicted; }

    public static String header() {
        return "| tree | nodes | levels | T | measured tokens/step | predicted G ± se | measured / G | steps | s |\n"
                + "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";
    }

    public String markdown() {
        String predictedError = Double.isNaN(predictedStderr) ? "(1 run)"
                : String.format(Locale.ROOT, "± %.3f", predictedStderr);
        return String.format(Locale.ROOT, "| %s | %d | %d | %s | %.3f ± %.3f | %.3f %s | %.3f | %d | %.1f |", tree, nodes,
                levels, temperature == 0 ? "0 (greedy)" : String.format(Locale.ROOT, "%.1f", temperature), measured,
                stderr, predicted, predictedError, ratio(), steps, seconds);
    }
}
