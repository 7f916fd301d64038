package dev.sequoia.optimize;

import dev.sequoia.tree.AcceptanceVector;
import dev.sequoia.tree.LevelBoundedTreeDp;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sequoia's hardware-aware optimizer for one target pass shared by several sessions (issue 18): every session
 * drafts its own tree, the draft levels run together and the target verifies all trees in one forward of
 * {@code N = n_1 + ... + n_S} tokens. Over a common level count d (the pass drafts d levels, whoever is
 * deepest) and every split of N, it maximises the pass's expected tokens per second
 * <pre>
 *   (G_1(n_1, d) + ... + G_S(n_S, d)) / (d * draftTime + t(N))
 * </pre>
 * where G_i is the level-bounded DP's value for session i's acceptance vector and t(N) the measured
 * verification time (interpolated, {@link VerificationTimes#estimate}). Every session gets at least its root
 * (one token per pass); when t(N) is flat (a pass that streams its weights) each keeps about the tree it would
 * have alone, and as the pass approaches the compute knee the budget is split into smaller trees.
 *
 * <p>Exact: for each d a knapsack over sessions finds, for every N, the split with the largest sum of G;
 * O(levels * S * N^2) with N up to the largest measured budget.
 */
public final class BatchTreeOptimizer {
    private BatchTreeOptimizer() {
    }

    /**
     * The plan of one shared pass.
     *
     * @param sessions       per session (in order), its tree: budget n_i, the pass's levels, G_i, the tree
     * @param levels         levels every tree may use (the pass's draft forwards)
     * @param passSeconds    predicted seconds of the pass: {@code levels * draftTime + t(N + prompt rows)}
     * @param tokensPerPass  expected tokens of all sessions per pass
     */
    public record Plan(List<TreeChoice> sessions, int levels, double passSeconds, double tokensPerPass) {
        /** Expected tokens per second of all sessions together. */
        public double tokensPerSecond() {
            return tokensPerPass / passSeconds;
        }

        /** Total tokens the target verifies in the pass. */
        public int passTokens() {
            return sessions.stream().mapToInt(TreeChoice::budget).sum();
        }
    }

    /**
     * @param sessions      each active session's acceptance vector (sessions may share one instance)
     * @param times         measured t(n) of the configuration
     * @param draftTime     seconds of one draft level (all sessions' level drafted together)
     * @param maxLevels     most levels per tree, root included
     * @param maxPerSession most nodes one session's tree may have (its caches' rows per step)
     */
    public static Plan optimize(List<AcceptanceVector> sessions, VerificationTimes times, double draftTime,
                                int maxLevels, int maxPerSession) {
        return optimize(sessions, times, draftTime, maxLevels, maxPerSession, 0);
    }

    /**
     * As {@link #optimize(List, VerificationTimes, double, int, int)} for a pass that also carries
     * {@code promptRows} rows of prompts (sessions joining, their prompt chunks fed in the same forward): the pass
     * costs {@code t(N + promptRows)}, so trees shrink where those rows push the pass past the compute knee.
     */
    public static Plan optimize(List<AcceptanceVector> sessions, VerificationTimes times, double draftTime,
                                int maxLevels, int maxPerSession, int promptRows) {
        if (promptRows < 0) {
            throw new IllegalArgumentException("prompt rows " + promptRows + ": expected >= 0");
        }
        if (sessions.isEmpty()) {
            throw new IllegalArgumentException("a pass needs at least one session");
        }
        if (!(draftTime >= 0) || Double.isInfinite(draftTime)) {
            throw new IllegalArgumentException("draft time " + draftTime + ": expected a finite time >= 0");
        }
        if (maxLevels < 1 || maxPerSession < 1) {
            throw new IllegalArgumentException("levels and nodes per session must be >= 1, got " + maxLevels
                    + " and " + maxPerSession);
        }
        int s = sessions.size();
        int maxTotal = Math.max(s, Math.min(times.maxBudget(), s * maxPerSession));
        int perSession = Math.min(maxPerSession, maxTotal - s + 1);
        Map<AcceptanceVector, LevelBoundedTreeDp> dps = new IdentityHashMap<>();
        List<LevelBoundedTreeDp> dp = new ArrayList<>(s);
        for (AcceptanceVector p : sessions) {
            dp.add(dps.computeIfAbsent(p, v -> LevelBoundedTreeDp.solve(v, perSession, maxLevels)));
        }
        int bestD = 1;
        int bestN = s;
        double bestRate = Double.NEGATIVE_INFINITY;
        for (int d = 1; d <= maxLevels; d++) {
            double[] value = split(dp, d, perSession, maxTotal, null);
            for (int n = s; n <= maxTotal; n++) {
                if (value[n] == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                double rate = value[n] / (d * draftTime + times.estimate(n + promptRows));
                if (rate > bestRate) { // ties keep fewer levels, then fewer tokens
                    bestRate = rate;
                    bestD = d;
                    bestN = n;
                }
            }
        }
        int[][] choice = new int[s][maxTotal + 1];
        double[] value = split(dp, bestD, perSession, maxTotal, choice);
        List<TreeChoice> trees = new ArrayList<>(s);
        int[] budgets = new int[s];
        for (int i = s - 1, left = bestN; i >= 0; i--) {
            budgets[i] = choice[i][left];
            left -= budgets[i];
        }
        double pass = bestD * draftTime + times.estimate(bestN + promptRows);
        for (int i = 0; i < s; i++) {
            double g = dp.get(i).value(budgets[i], bestD);
            trees.add(new TreeChoice(budgets[i], bestD, g, pass / g, times.estimate(1) / (pass / g),
                    dp.get(i).tree(budgets[i], bestD)));
        }
        return new Plan(List.copyOf(trees), bestD, pass, value[bestN]);
    }

    /**
     * best[N] = the largest sum of G_i(n_i, d) over splits of N tokens with 1 <= n_i <= perSession (-inf when
     * none); when {@code choice} is given, choice[i][N] = n_i of the best split of N among sessions 0..i.
     */
    private static double[] split(List<LevelBoundedTreeDp> dp, int d, int perSession, int maxTotal, int[][] choice) {
        double[] best = new double[maxTotal + 1];
        java.util.Arrays.fill(best, Double.NEGATIVE_INFINITY);
        best[0] = 0;
        for (int i = 0; i < dp.size(); i++) {
            double[] next = new double[maxTotal + 1];
            java.util.Arrays.fill(next, Double.NEGATIVE_INFINITY);
            for (int total = 0; total <= maxTotal; total++) {
                if (best[total] == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                for (int n = 1; n <= perSession && total + n <= maxTotal; n++) {
                    double g = dp.get(i).value(n, d);
                    if (g == Double.NEGATIVE_INFINITY) {
                        continue;
                    }
                    double v = best[total] + g;
                    if (v > next[total + n]) {
                        next[total + n] = v;
                        if (choice != null) {
                            choice[i][total + n] = n;
                        }
                    }
                }
            }
            best = next;
        }
        return best;
    }
}
