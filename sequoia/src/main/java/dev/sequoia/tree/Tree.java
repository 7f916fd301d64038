package dev.sequoia.tree;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A speculation tree shape, numbered the way Sequoia's growmaps are: breadth first from the root (id 0),
 * every node's children contiguous and in rank order (list position = sampling rank), so a parent's id is
 * always below its children's. The root is the last committed (bonus) token; the other nodes are drafted.
 *
 * <p>Level {@code s} (= depth s) holds the nodes expanded at grow step s; {@link #levels()} counts levels
 * including the root, the "depth" of the paper's tables. Immutable.
 */
public final class Tree {
    private final int[][] successors;
    private final int[] parent;
    private final int[] depth;
    private final int[] rank;
    private final int levels;

    private Tree(int[][] successors) {
        int n = successors.length;
        this.successors = successors;
        this.parent = new int[n];
        this.depth = new int[n];
        this.rank = new int[n];
        parent[0] = -1;
        int maxDepth = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < successors[i].length; k++) {
                int c = successors[i][k];
                parent[c] = i;
                depth[c] = depth[i] + 1;
                rank[c] = k + 1;
                maxDepth = Math.max(maxDepth, depth[c]);
            }
        }
        this.levels = maxDepth + 1;
    }

    /**
     * Builds the tree rooted at {@code root}, numbering nodes breadth first; {@code children} lists a
     * node's children in rank order.
     */
    public static <S> Tree breadthFirst(S root, Function<S, List<S>> children) {
        List<S> queue = new ArrayList<>();
        List<int[]> successors = new ArrayList<>();
        queue.add(root);
        for (int i = 0; i < queue.size(); i++) {
            List<S> kids = children.apply(queue.get(i));
            int[] ids = new int[kids.size()];
            for (int k = 0; k < ids.length; k++) {
                ids[k] = queue.size();
                queue.add(kids.get(k));
            }
            successors.add(ids);
        }
        return new Tree(successors.toArray(int[][]::new));
    }

    /**
     * The tree whose node i has the ordered children {@code successors[i]}.
     *
     * @throws IllegalArgumentException if the lists are not a breadth-first numbered tree rooted at 0
     */
    public static Tree fromSuccessors(int[][] successors) {
        if (successors.length == 0) {
            throw new IllegalArgumentException("Successors is empty: a tree has at least its root");
        }
        int next = 1;
        int[][] copy = new int[successors.length][];
        for (int i = 0; i < successors.length; i++) {
            if (successors[i] == null) {
                throw new IllegalArgumentException("Successors[" + i + "] is missing: expected a list (empty for a leaf)");
            }
            copy[i] = successors[i].clone();
            for (int c : copy[i]) {
                if (c != next) {
                    throw new IllegalArgumentException("Successors[" + i + "] contains " + c + ": expected " + next
                            + " (nodes numbered breadth first, siblings contiguous, parent before child)");
                }
                next++;
            }
        }
        if (next != successors.length) {
            throw new IllegalArgumentException("Successors reaches " + next + " of " + successors.length
                    + " nodes: expected every node but the root to be some node's child");
        }
        return new Tree(copy);
    }

    /** Node count, root included (the tree budget n). */
    public int size() {
        return successors.length;
    }

    /** Levels including the root (a lone root has 1). */
    public int levels() {
        return levels;
    }

    public int parent(int node) {
        return parent[node];
    }

    /** Depth of a node; the root is 0. */
    public int depth(int node) {
        return depth[node];
    }

    /** 1-based sampling rank among siblings; 0 for the root. */
    public int rank(int node) {
        return rank[node];
    }

    public int childCount(int node) {
        return successors[node].length;
    }

    /** Ordered children: element k-1 is the rank-k child. */
    public int[] successors(int node) {
        return successors[node].clone();
    }

    /** The largest number of children of any node. */
    public int maxFanOut() {
        int b = 0;
        for (int[] s : successors) {
            b = Math.max(b, s.length);
        }
        return b;
    }

    /** {@code roots[s]}: the nodes at depth s, in id order (the growmap's per-level expansion list). */
    public List<int[]> levelNodes() {
        List<int[]> out = new ArrayList<>();
        int start = 0;
        for (int s = 0; s < levels; s++) {
            int end = start;
            while (end < size() && depth[end] == s) {
                end++;
            }
            int[] ids = new int[end - start];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = start + i;
            }
            out.add(ids);
            start = end;
        }
        return out;
    }

    /** {@code branches[s][j]}: the child count of {@code levelNodes().get(s)[j]}. */
    public List<int[]> branches() {
        List<int[]> out = new ArrayList<>();
        for (int[] level : levelNodes()) {
            int[] b = new int[level.length];
            for (int j = 0; j < level.length; j++) {
                b[j] = successors[level[j]].length;
            }
            out.add(b);
        }
        return out;
    }

    /** True iff {@code ancestor} lies on the path from the root to {@code node} (a node is its own). */
    public boolean isAncestorOrSelf(int ancestor, int node) {
        for (int v = node; v >= 0 && v >= ancestor; v = parent[v]) {
            if (v == ancestor) {
                return true;
            }
        }
        return false;
    }

    /** {@code mask[i][j]} iff j is an ancestor of i or j == i: the tree attention mask. */
    public boolean[][] ancestorMask() {
        int n = size();
        boolean[][] mask = new boolean[n][n];
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                System.arraycopy(mask[parent[i]], 0, mask[i], 0, i);
            }
            mask[i][i] = true;
        }
        return mask;
    }

    /** The root-to-node path, root first. */
    public int[] path(int node) {
        int[] path = new int[depth[node] + 1];
        for (int v = node, k = path.length - 1; v >= 0; v = parent[v], k--) {
            path[k] = v;
        }
        return path;
    }

    /**
     * G(T) = F(T) = sum over nodes of the product of p(rank) along the root-to-node path (paper Prop. 3.4):
     * the expected tokens per target pass under positional acceptance, the bonus token included.
     */
    public double expectedTokens(AcceptanceVector p) {
        return expectedTokens(DepthAcceptance.uniform(p));
    }

    /** G(T) with a per-depth acceptance matrix: a child of a depth-d node is priced by row d. */
    public double expectedTokens(DepthAcceptance p) {
        double[] f = new double[size()];
        f[0] = 1;
        double sum = 1;
        for (int i = 1; i < size(); i++) {
            f[i] = f[parent[i]] * p.atDepth(depth[parent[i]]).p(rank[i]);
            sum += f[i];
        }
        return sum;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tree t && java.util.Arrays.deepEquals(successors, t.successors);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.deepHashCode(successors);
    }

    @Override
    public String toString() {
        return "Tree(size=" + size() + ", levels=" + levels + ")";
    }
}
