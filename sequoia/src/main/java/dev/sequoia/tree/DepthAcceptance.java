package dev.sequoia.tree;

import java.util.Arrays;

/**
 * Per-depth acceptance (paper App. F.1.1, for self-speculation drafts whose acceptance decays with depth):
 * {@code p(depth, rank)} prices the rank-th child of an accepted node at {@code depth} (root = 0). Depths
 * beyond the last row reuse the last row.
 *
 * <p>Immutable; rows are copied in.
 */
public final class DepthAcceptance {
    private final AcceptanceVector[] rows;

    private DepthAcceptance(AcceptanceVector[] rows) {
        this.rows = rows;
    }

    /** @param rows {@code rows[d]} is the acceptance vector for children of nodes at depth d */
    public static DepthAcceptance of(double[][] rows) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("per-depth acceptance matrix has no rows: expected one per depth");
        }
        AcceptanceVector[] vectors = new AcceptanceVector[rows.length];
        for (int d = 0; d < rows.length; d++) {
            try {
                vectors[d] = new AcceptanceVector(rows[d]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("per-depth acceptance row " + d + ": " + e.getMessage(), e);
            }
        }
        return new DepthAcceptance(vectors);
    }

    /** The same vector at every depth: equivalent to the plain depth-bounded problem. */
    public static DepthAcceptance uniform(AcceptanceVector p) {
        return new DepthAcceptance(new AcceptanceVector[] {p});
    }

    /** The vector for children of nodes at {@code depth}. */
    public AcceptanceVector atDepth(int depth) {
        return rows[Math.min(depth, rows.length - 1)];
    }

    /** The largest width over all rows. */
    public int width() {
        return Arrays.stream(rows).mapToInt(AcceptanceVector::width).max().orElseThrow();
    }
}
