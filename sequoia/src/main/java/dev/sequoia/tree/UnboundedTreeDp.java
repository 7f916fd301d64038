package dev.sequoia.tree;

import java.util.ArrayList;
import java.util.List;

/**
 * Sequoia's dynamic program for the best tree of n nodes with fan-out at most B and no depth limit
 * (paper Eq. 1 / Alg. 1): {@code T[b][n]} is the best G over trees of exactly n nodes whose root has
 * exactly b children, and
 * <pre>
 *   T[b][n] = max over m of ( T[b-1][n-m] + p_b * best[m] )    (m = size of the b-th child's subtree)
 *   best[n] = max over b of T[b][n],  T[0][1] = 1
 * </pre>
 * O(N^2 B) time, O(N B) doubles. The table answers every n up to the size it was built for, and
 * {@link #tree} materialises the optimal shape (first maximiser on ties).
 */
public final class UnboundedTreeDp {
    private final AcceptanceVector p;
    private final int maxSize;
    private final int fanOut;
    private final double[][] t; // t[b][n]
    private final double[] best; // best[n]

    private UnboundedTreeDp(AcceptanceVector p, int maxSize, int fanOut) {
        this.p = p;
        this.maxSize = maxSize;
        this.fanOut = fanOut;
        this.t = new double[fanOut + 1][maxSize + 1];
        this.best = new double[maxSize + 1];
        fill();
    }

    /**
     * @param maxSize the largest tree budget n (root included) to answer
     * @param maxFanOut the largest number of children per node (B); capped at the vector's width
     */
    public static UnboundedTreeDp solve(AcceptanceVector p, int maxSize, int maxFanOut) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("tree budget " + maxSize + ": expected at least 1 (the root)");
        }
        if (maxFanOut < 0) {
            throw new IllegalArgumentException("fan-out " + maxFanOut + ": expected zero or more");
        }
        return new UnboundedTreeDp(p, maxSize, Math.min(maxFanOut, p.width()));
    }

    /** {@link #solve} with B = the vector's width. */
    public static UnboundedTreeDp solve(AcceptanceVector p, int maxSize) {
        return solve(p, maxSize, p.width());
    }

    private void fill() {
        for (double[] row : t) {
            java.util.Arrays.fill(row, Double.NEGATIVE_INFINITY);
        }
        java.util.Arrays.fill(best, Double.NEGATIVE_INFINITY);
        t[0][1] = 1;
        best[1] = 1;
        for (int n = 2; n <= maxSize; n++) {
            double bestN = Double.NEGATIVE_INFINITY;
            for (int b = 1; b <= Math.min(fanOut, n - 1); b++) {
                t[b][n] = MaxPlus.best(t[b - 1], best, p.p(b), n, lowM(b, n), n - b);
                bestN = Math.max(bestN, t[b][n]);
            }
            best[n] = bestN;
        }
    }

    /** With one child left to place (b == 1) the root must be alone: m = n - 1; otherwise any m >= 1. */
    private static int lowM(int b, int n) {
        return b == 1 ? n - 1 : 1;
    }

    /** The best G over trees of exactly n nodes. */
    public double value(int n) {
        checkSize(n);
        return best[n];
    }

    /** The optimal tree of n nodes, breadth-first numbered; its G equals {@link #value}. */
    public Tree tree(int n) {
        checkSize(n);
        return Tree.breadthFirst(n, this::childSizes);
    }

    private List<Integer> childSizes(int n) {
        int b = argMaxFanOut(n);
        int[] sizes = new int[b];
        int rest = n;
        for (int k = b; k >= 1; k--) {
            int m = MaxPlus.argBest(t[k - 1], best, p.p(k), rest, lowM(k, rest), rest - k);
            sizes[k - 1] = m;
            rest -= m;
        }
        List<Integer> out = new ArrayList<>(b);
        for (int s : sizes) {
            out.add(s);
        }
        return out;
    }

    private int argMaxFanOut(int n) {
        int arg = 0;
        for (int b = 1; b <= fanOut; b++) {
            if (t[b][n] > t[arg][n]) {
                arg = b;
            }
        }
        return arg;
    }

    private void checkSize(int n) {
        if (n < 1 || n > maxSize) {
            throw new IllegalArgumentException("tree budget " + n + ": this table covers 1.." + maxSize);
        }
    }
}
