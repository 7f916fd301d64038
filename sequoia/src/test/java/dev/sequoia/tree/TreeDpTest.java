package dev.sequoia.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TreeDpTest {
    private static final AcceptanceVector GOLDEN = AcceptanceVector.of(.6, .2, .1);
    private static final double[] UNBOUNDED = {1, 1.6, 1.96, 2.176, 2.376, 2.5056, 2.6256, 2.7456, 2.8456, 2.92336};
    private static final double[] THREE_LEVELS = {1, 1.6, 1.96, 2.16, 2.28, 2.40, 2.50, 2.56, 2.62, 2.66};

    @Test
    void unboundedMatchesTheGoldenValuesAndItsOwnTrees() {
        UnboundedTreeDp dp = UnboundedTreeDp.solve(GOLDEN, 10);
        for (int n = 1; n <= 10; n++) {
            assertEquals(UNBOUNDED[n - 1], dp.value(n), 1e-9, "n=" + n);
            Tree tree = dp.tree(n);
            assertEquals(n, tree.size());
            assertEquals(dp.value(n), tree.expectedTokens(GOLDEN), 1e-9, "G(tree) n=" + n);
        }
    }

    @Test
    void threeLevelsMatchesTheGoldenValuesAndItsOwnTrees() {
        LevelBoundedTreeDp dp = LevelBoundedTreeDp.solve(GOLDEN, 10, 3);
        for (int n = 1; n <= 10; n++) {
            assertEquals(THREE_LEVELS[n - 1], dp.value(n, 3), 1e-9, "n=" + n);
            Tree tree = dp.tree(n, 3);
            assertEquals(n, tree.size());
            assertTrue(tree.levels() <= 3, "levels of n=" + n);
            assertEquals(dp.value(n, 3), tree.expectedTokens(GOLDEN), 1e-9, "G(tree) n=" + n);
        }
    }

    @Test
    void bothDpsEqualBruteForceOverEveryOrderedTreeUpToTenNodes() {
        SplittableRandom rnd = new SplittableRandom(7);
        List<AcceptanceVector> vectors = List.of(GOLDEN, randomVector(rnd, 3), randomVector(rnd, 4),
                AcceptanceVector.of(.05, .3, .5));
        for (AcceptanceVector p : vectors) {
            int b = p.width();
            UnboundedTreeDp unbounded = UnboundedTreeDp.solve(p, 10);
            LevelBoundedTreeDp bounded = LevelBoundedTreeDp.solve(p, 10, 10);
            for (int n = 1; n <= 10; n++) {
                double[] bestByLevels = new double[11];
                java.util.Arrays.fill(bestByLevels, Double.NEGATIVE_INFINITY);
                for (Tree t : OrderedTrees.all(n, b)) {
                    double g = t.expectedTokens(p);
                    for (int l = t.levels(); l <= 10; l++) {
                        bestByLevels[l] = Math.max(bestByLevels[l], g);
                    }
                }
                assertEquals(bestByLevels[10], unbounded.value(n), 1e-12, p + " n=" + n);
                for (int l = 1; l <= 10; l++) {
                    assertEquals(bestByLevels[l], bounded.value(n, l), 1e-12, p + " n=" + n + " levels=" + l);
                }
            }
        }
    }

    @Test
    void perDepthMatrixEqualsBruteForceAndIdenticalRowsEqualTheVector() {
        DepthAcceptance decaying = DepthAcceptance.of(new double[][] {{.7, .2}, {.5, .2}, {.3, .1}});
        for (int levels = 1; levels <= 5; levels++) {
            LevelBoundedTreeDp dp = LevelBoundedTreeDp.solve(decaying, 9, levels, 2);
            for (int n = 1; n <= 9; n++) {
                double brute = Double.NEGATIVE_INFINITY;
                for (Tree t : OrderedTrees.all(n, 2)) {
                    if (t.levels() <= levels) {
                        brute = Math.max(brute, t.expectedTokens(decaying));
                    }
                }
                assertEquals(brute, dp.value(n), 1e-12, "n=" + n + " levels=" + levels);
                if (brute > Double.NEGATIVE_INFINITY) {
                    assertEquals(brute, dp.tree(n).expectedTokens(decaying), 1e-12);
                }
            }
        }
        DepthAcceptance same = DepthAcceptance.of(new double[][] {{.6, .2, .1}, {.6, .2, .1}, {.6, .2, .1}});
        LevelBoundedTreeDp uniform = LevelBoundedTreeDp.solve(GOLDEN, 40, 6);
        LevelBoundedTreeDp rows = LevelBoundedTreeDp.solve(same, 40, 6, 3);
        for (int n = 1; n <= 40; n++) {
            assertEquals(uniform.value(n, 6), rows.value(n), 0.0, "n=" + n);
            assertEquals(uniform.tree(n, 6), rows.tree(n), "n=" + n);
        }
    }

    @Test
    void boundedValueGrowsWithLevelsAndReachesTheUnboundedValue() {
        AcceptanceVector p = AcceptanceVector.of(.634, .108, .057, .0225, .011);
        UnboundedTreeDp unbounded = UnboundedTreeDp.solve(p, 60);
        LevelBoundedTreeDp bounded = LevelBoundedTreeDp.solve(p, 60, 60);
        for (int n = 1; n <= 60; n++) {
            for (int l = 2; l <= 60; l++) {
                assertTrue(bounded.value(n, l) >= bounded.value(n, l - 1), "n=" + n + " l=" + l);
            }
            assertEquals(unbounded.value(n), bounded.value(n, n), 1e-12, "n=" + n);
            if (n > 1) {
                assertTrue(unbounded.value(n) >= unbounded.value(n - 1), "G(n) non-decreasing at " + n);
            }
        }
    }

    @Test
    void optimalSubtreeSizesAreNonIncreasingInRankForSortedVectors() {
        AcceptanceVector p = AcceptanceVector.of(.55, .15, .08, .05, .03, .02);
        Tree tree = UnboundedTreeDp.solve(p, 200).tree(200);
        int[] subtreeSize = new int[tree.size()];
        for (int i = tree.size() - 1; i >= 0; i--) {
            subtreeSize[i] += 1;
            if (i > 0) {
                subtreeSize[tree.parent(i)] += subtreeSize[i];
            }
        }
        for (int i = 0; i < tree.size(); i++) {
            int[] kids = tree.successors(i);
            for (int k = 1; k < kids.length; k++) {
                assertTrue(subtreeSize[kids[k]] <= subtreeSize[kids[k - 1]], "node " + i + " rank " + (k + 1));
            }
        }
    }

    @Test
    void largeDepthBoundedProblemSolvesUnderOneSecond() {
        AcceptanceVector p = powerLawVector(32);
        LevelBoundedTreeDp.solve(p, 128, 8); // warm the JIT on a small instance
        double fastest = Double.POSITIVE_INFINITY; // best of two: the build machine's cores are shared
        for (int attempt = 0; attempt < 2; attempt++) {
            long start = System.nanoTime();
            LevelBoundedTreeDp dp = LevelBoundedTreeDp.solve(p, 1024, 24);
            Tree tree = dp.tree(1024, 24);
            fastest = Math.min(fastest, (System.nanoTime() - start) / 1e9);
            assertEquals(1024, tree.size());
            assertTrue(tree.levels() <= 24);
            assertEquals(dp.value(1024, 24), tree.expectedTokens(p), 1e-9);
        }
        assertTrue(fastest < 1.0, "n=1024, B=32, 24 levels took " + fastest + " s");
    }

    @Test
    void rejectsBudgetsAndLevelsOutsideTheTable() {
        LevelBoundedTreeDp dp = LevelBoundedTreeDp.solve(GOLDEN, 10, 3);
        assertThrows(IllegalArgumentException.class, () -> dp.value(11, 3));
        assertThrows(IllegalArgumentException.class, () -> dp.value(5, 4));
        assertThrows(IllegalArgumentException.class, () -> dp.tree(10, 1));
        assertEquals(Double.NEGATIVE_INFINITY, dp.value(10, 1));
    }

    @Test
    void treesAreBreadthFirstWithConsistentDepthMaskAndLevels() {
        Tree tree = LevelBoundedTreeDp.solve(AcceptanceVector.of(.5, .2, .1, .05), 64, 6).tree(64, 6);
        boolean[][] mask = tree.ancestorMask();
        int expectedNext = 1;
        for (int i = 0; i < tree.size(); i++) {
            for (int c : tree.successors(i)) {
                assertEquals(expectedNext++, c, "BFS numbering");
                assertTrue(tree.parent(c) < c);
            }
            int[] path = tree.path(i);
            assertEquals(tree.depth(i), path.length - 1);
            for (int j = 0; j < tree.size(); j++) {
                boolean onPath = false;
                for (int v : path) {
                    onPath |= v == j;
                }
                assertEquals(onPath, mask[i][j], "mask[" + i + "][" + j + "]");
            }
        }
        List<int[]> roots = tree.levelNodes();
        List<int[]> branches = tree.branches();
        assertEquals(tree.levels(), roots.size());
        for (int s = 0; s + 1 < roots.size(); s++) {
            assertEquals(roots.get(s + 1).length, java.util.Arrays.stream(branches.get(s)).sum(), "level " + s);
        }
        assertArrayEquals(new int[roots.getLast().length], branches.getLast(), "last level is all leaves");
    }

    static AcceptanceVector randomVector(SplittableRandom rnd, int width) {
        double[] p = new double[width];
        double left = 1;
        for (int k = 0; k < width; k++) {
            p[k] = left * rnd.nextDouble() * 0.8;
            left -= p[k];
        }
        return new AcceptanceVector(p);
    }

    /** r_k = P(all k rejected) = 0.4 / k^0.8: a power-law vector like the paper's Fig. 3. */
    static AcceptanceVector powerLawVector(int width) {
        double[] p = new double[width];
        double prev = 1;
        for (int k = 1; k <= width; k++) {
            double r = 0.4 / Math.pow(k, 0.8);
            p[k - 1] = prev - r;
            prev = r;
        }
        return new AcceptanceVector(p);
    }
}
