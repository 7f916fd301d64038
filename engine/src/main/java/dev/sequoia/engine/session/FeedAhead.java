package dev.sequoia.engine.session;

import java.util.Arrays;

/**
 * Prompt tokens a model feeds in a step's own forward, ahead of the step's rows (issue 18: a joining session's
 * prompt rides the next shared pass instead of costing a weight pass of its own). The chain goes in front of the
 * step's first forward; from then until the step's keep, the cache's pending rows are the chain and then the
 * step's nodes, so a node's pending row is its id plus the chain's length, and the keep commits the chain
 * before the step's kept path.
 *
 * <p>Confined to the engine thread.
 */
public final class FeedAhead {
    private static final int[] NONE = {};
    /** Tokens the next forward puts in front of its rows. */
    private int[] waiting = NONE;
    /** Pending rows of the cache that hold a chain already fed. */
    private int fed;

    /** Feeds {@code chain} (tokens after the committed rows) in front of the next forward's rows. */
    public void set(int[] chain) {
        if (waiting.length + fed > 0) throw new IllegalStateException("a prompt chain is already being fed");
        waiting = chain.clone();
    }

    /**
     * A request for a forward of the step's {@code tokens} ({@code parents}: node ids, -1 for the step's root),
     * with the waiting chain in front and every row's parent in the cache's pending rows.
     */
    public SharedForward.Request request(PassModel model, int[] tokens, int[] parents) {
        int w = waiting.length, shift = fed + w;
        if (shift == 0) return new SharedForward.Request(model, tokens, parents, 0);
        int[] rows = new int[w + tokens.length];
        int[] rowParents = new int[rows.length];
        for (int i = 0; i < w; i++) {
            rows[i] = waiting[i];
            rowParents[i] = fed + i - 1;
        }
        for (int i = 0; i < tokens.length; i++) {
            rows[w + i] = tokens[i];
            rowParents[w + i] = parents[i] + shift; // the root (-1) follows the chain's last row
        }
        return new SharedForward.Request(model, rows, rowParents, w);
    }

    /** A forward of a request made by {@link #request} ran: the chain is pending in the cache now. */
    public void ran() {
        fed += waiting.length;
        waiting = NONE;
    }

    /** The pending rows a keep of the step's {@code path} commits: the chain, then the path's nodes. */
    public int[] keepPath(int[] path) {
        if (waiting.length > 0) throw new IllegalStateException("a keep before the prompt chain was fed");
        if (fed == 0) return path;
        int[] rows = new int[fed + path.length];
        for (int i = 0; i < fed; i++) rows[i] = i;
        for (int j = 0; j < path.length; j++) rows[fed + j] = path[j] + fed;
        fed = 0;
        return rows;
    }

    /** Forgets the chain (the caller drops the cache's pending rows). */
    public void clear() {
        waiting = NONE;
        fed = 0;
    }

    @Override
    public String toString() { return "FeedAhead[waiting " + Arrays.toString(waiting) + ", fed " + fed + "]"; }
}
