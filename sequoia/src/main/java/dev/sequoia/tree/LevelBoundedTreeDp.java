package dev.sequoia.tree;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sequoia's dynamic program for the best tree of n nodes with fan-out at most B and at most L levels (the
 * root is level 1; paper Alg. 4 / the reference {@code tree_search.py}):
 * <pre>
 *   T[l][b][n] = max over m of ( T[l][b-1][n-m] + p_b * best[l-1][m] )
 *   best[l][n] = max over b of T[l][b][n],   T[l][0][1] = 1 for every l >= 1
 * </pre>
 * O(N^2 L B) time, O(N L B) doubles. Only feasible cells are ever read: a subtree of at most l levels holds
 * at most {@code cap[l] = 1 + B cap[l-1]} nodes, and the m-range is clipped to keep both terms finite.
 *
 * <p>With a {@link DepthAcceptance} matrix the children of a subtree root that has l levels left sit at
 * depth {@code L - l}, so rows are tied to the full depth L: such a table answers only {@code levels = L}.
 */
public final class LevelBoundedTreeDp {
    private final DepthAcceptance p;
    private final boolean depthIndependent;
    private final int maxSize;
    private final int maxLevels;
    private final int fanOut;
    private final int[] cap; // cap[l]: most nodes with at most l levels
    private final double[][][] t; // t[l][b][n]
    private final double[][] best; // best[l][n]

    private LevelBoundedTreeDp(DepthAcceptance p, boolean depthIndependent, int maxSize, int maxLevels,
                               int maxFanOut) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("tree budget " + maxSize + ": expected at least 1 (the root)");
        }
        if (maxLevels < 1) {
            throw new IllegalArgumentException("levels " + maxLevels + ": expected at least 1 (the root's level)");
        }
        if (maxFanOut < 0) {
            throw new IllegalArgumentException("fan-out " + maxFanOut + ": expected zero or more");
        }
        this.p = p;
        this.depthIndependent = depthIndependent;
        this.maxSize = maxSize;
        this.maxLevels = maxLevels;
        this.fanOut = Math.min(maxFanOut, p.width());
        this.cap = capacities();
        this.t = new double[maxLevels + 1][fanOut + 1][maxSize + 1];
        this.best = new double[maxLevels + 1][maxSize + 1];
        fill();
    }

    /** Best trees for every budget 1..maxSize and every level bound 1..maxLevels, B = the vector's width. */
    public static LevelBoundedTreeDp solve(AcceptanceVector p, int maxSize, int maxLevels) {
        return solve(p, maxSize, maxLevels, p.width());
    }

    public static LevelBoundedTreeDp solve(AcceptanceVector p, int maxSize, int maxLevels, int maxFanOut) {
        return new LevelBoundedTreeDp(DepthAcceptance.uniform(p), true, maxSize, maxLevels, maxFanOut);
    }

    /** The per-depth variant: trees of exactly the given level bound, children of depth-d nodes priced by row d. */
    public static LevelBoundedTreeDp solve(DepthAcceptance p, int maxSize, int levels, int maxFanOut) {
        return new LevelBoundedTreeDp(p, false, maxSize, levels, maxFanOut);
    }

    private int[] capacities() {
        int[] c = new int[maxLevels + 1];
        c[1] = 1;
        for (int l = 2; l <= maxLevels; l++) {
            c[l] = (int) Math.min(maxSize, 1L + (long) fanOut * c[l - 1]);
        }
        return c;
    }

    private void fill() {
        for (double[][] level : t) {
            for (double[] row : level) {
                Arrays.fill(row, Double.NEGATIVE_INFINITY);
            }
        }
        for (double[] row : best) {
            Arrays.fill(row, Double.NEGATIVE_INFINITY);
        }
        for (int l = 1; l <= maxLevels; l++) {
            t[l][0][1] = 1;
            best[l][1] = 1;
            AcceptanceVector row = rowFor(l);
            for (int b = 1; b <= fanOut && l > 1; b++) {
                double pb = row.p(b);
                for (int n = b + 1; n <= maxSize; n++) {
                    double v = MaxPlus.best(t[l][b - 1], best[l - 1], pb, n, lowM(l, b, n), highM(l, b, n));
                    t[l][b][n] = v;
                    if (v > best[l][n]) {
                        best[l][n] = v;
                    }
                }
            }
        }
    }

    /** The vector pricing the children of a subtree root with l levels left. */
    private AcceptanceVector rowFor(int l) {
        return p.atDepth(maxLevels - l);
    }

    /** The first b-1 subtrees hold n-m-1 nodes, each at most cap[l-1]. */
    private int lowM(int l, int b, int n) {
        return (int) Math.max(1, n - 1 - (long) (b - 1) * cap[l - 1]);
    }

    /** The first b-1 subtrees need at least one node each; the b-th at most cap[l-1]. */
    private int highM(int l, int b, int n) {
        return Math.min(n - b, cap[l - 1]);
    }

    /** The best G over trees of exactly n nodes with at most {@code levels} levels; -inf if none exists. */
    public double value(int n, int levels) {
        check(n, levels);
        return best[levels][n];
    }

    /** The best G with the table's full level bound. */
    public double value(int n) {
        return value(n, maxLevels);
    }

    /** The optimal tree of n nodes within {@code levels} levels; its G equals {@link #value}. */
    public Tree tree(int n, int levels) {
        check(n, levels);
        if (best[levels][n] == Double.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("no tree of " + n + " nodes fits in " + levels
                    + " levels with fan-out at most " + fanOut);
        }
        return Tree.breadthFirst(new Subtree(n, levels), this::children);
    }

    public Tree tree(int n) {
        return tree(n, maxLevels);
    }

    public int maxSize() {
        return maxSize;
    }

    public int maxLevels() {
        return maxLevels;
    }

    private record Subtree(int size, int levels) {
    }

    private List<Subtree> children(Subtree s) {
        int l = s.levels();
        int b = argMaxFanOut(l, s.size());
        Subtree[] kids = new Subtree[b];
        int rest = s.size();
        AcceptanceVector row = rowFor(l);
        for (int k = b; k >= 1; k--) {
            int m = MaxPlus.argBest(t[l][k - 1], best[l - 1], row.p(k), rest, lowM(l, k, rest), highM(l, k, rest));
            kids[k - 1] = new Subtree(m, l - 1);
            rest -= m;
        }
        return new ArrayList<>(List.of(kids));
    }

    private int argMaxFanOut(int l, int n) {
        int arg = 0;
        for (int b = 1; b <= fanOut; b++) {
            if (t[l][b][n] > t[l][arg][n]) {
                arg = b;
            }
        }
        return arg;
    }

    private void check(int n, int levels) {
        if (n < 1 || n > maxSize) {
            throw new IllegalArgumentException("tree budget " + n + ": this table covers 1.." + maxSize);
        }
        if (levels < 1 || levels > maxLevels) {
            throw new IllegalArgumentException("levels " + levels + ": this table covers 1.." + maxLevels);
        }
        if (!depthIndependent && levels != maxLevels) {
            throw new IllegalArgumentException("levels " + levels + ": a per-depth table answers only its own "
                    + "level bound " + maxLevels + " (its rows are tied to absolute depth)");
        }
    }
}
