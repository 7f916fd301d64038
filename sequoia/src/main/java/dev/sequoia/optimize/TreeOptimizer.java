package dev.sequoia.optimize;

import dev.sequoia.tree.AcceptanceVector;
import dev.sequoia.tree.LevelBoundedTreeDp;

/**
 * Sequoia's hardware-aware optimizer (NeurIPS §4.1, the reference {@code tree_search.py}): over every
 * measured budget n and every level count d in 1..maxLevels, minimise
 * {@code (d * draftTime + t(n)) / G(n, d)}, where d counts levels including the root (= draft forwards
 * per step: d-1 grow steps and the pass over the new bonus token) and G is the level-bounded DP's value.
 * One DP table up to the largest budget answers every (n, d). Ties keep the smaller budget, then the
 * fewer levels.
 */
public final class TreeOptimizer {
    private TreeOptimizer() {
    }

    public static TreeChoice optimize(AcceptanceVector p, VerificationTimes times, double draftTime, int maxLevels) {
        if (!(draftTime >= 0) || Double.isInfinite(draftTime)) {
            throw new IllegalArgumentException("draft time " + draftTime + ": expected a finite time >= 0");
        }
        double autoregressive = times.at(1);
        LevelBoundedTreeDp dp = LevelBoundedTreeDp.solve(p, times.maxBudget(), maxLevels);
        int bestN = -1;
        int bestD = -1;
        double bestCost = Double.POSITIVE_INFINITY;
        for (var entry : times.byBudget().entrySet()) {
            int n = entry.getKey();
            for (int d = 1; d <= maxLevels; d++) {
                double g = dp.value(n, d);
                if (g == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                double cost = (d * draftTime + entry.getValue()) / g;
                if (cost < bestCost) {
                    bestCost = cost;
                    bestN = n;
                    bestD = d;
                }
            }
        }
        return new TreeChoice(bestN, bestD, dp.value(bestN, bestD), bestCost, autoregressive / bestCost,
                dp.tree(bestN, bestD));
    }
}
