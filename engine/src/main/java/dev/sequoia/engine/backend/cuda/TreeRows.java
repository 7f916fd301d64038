package dev.sequoia.engine.backend.cuda;

import java.util.Arrays;

/**
 * Host-side bookkeeping of a device KV cache's rows: how many are committed, and for each pending row its
 * parent (a pending row, or -1 for the last committed token) and depth. Same semantics as the CPU backend's
 * {@code KvCache}, without holding the keys and values (those live on the device).
 */
final class TreeRows {
    private final int capacity;
    private int committed;
    private int pending;
    private int[] parent = new int[16];
    private int[] depth = new int[16];

    TreeRows(int capacity) {
        this.capacity = capacity;
    }

    int committed() { return committed; }
    int pending() { return pending; }

    /** Appends pending rows; returns the index of the first. */
    int append(int[] parents) {
        if (committed + pending + parents.length > capacity) {
            throw new IllegalArgumentException("KV cache of " + capacity + " rows cannot take " + parents.length
                    + " more (" + committed + " committed, " + pending + " pending)");
        }
        int first = pending;
        if (pending + parents.length > parent.length) {
            int size = Math.max(2 * parent.length, pending + parents.length);
            parent = Arrays.copyOf(parent, size);
            depth = Arrays.copyOf(depth, size);
        }
        for (int i = 0; i < parents.length; i++) {
            int p = parents[i];
            if (p < -1 || p >= first + i) {
                throw new IllegalArgumentException("token " + i + " names parent " + p + ", which is not an earlier pending row");
            }
            parent[first + i] = p;
            depth[first + i] = p < 0 ? 0 : depth[p] + 1;
        }
        pending += parents.length;
        return first;
    }

    void truncate(int firstPending) { pending = firstPending; }

    /** Forgets committed rows from {@code length} on and every pending row (as KvCache.truncate). */
    void truncateCommitted(int length) {
        if (length < 0 || length > committed) {
            throw new IllegalArgumentException("cannot truncate to " + length + " rows, " + committed + " committed");
        }
        committed = length;
        pending = 0;
    }

    int capacity() { return capacity; }

    int position(int p) { return committed + depth[p]; }

    /** visible[t * pending + j] = 1 when pending row j is row (first+t) or one of its ancestors. */
    byte[] visibility(int first, int n) {
        byte[] mask = new byte[n * pending];
        for (int t = 0; t < n; t++) {
            for (int q = first + t; q >= 0; q = parent[q]) mask[t * pending + q] = 1;
        }
        return mask;
    }

    /** Validates a kept chain and returns the absolute source rows to move to committed, committed+1, ... */
    int[] keep(int[] path) {
        int[] rows = new int[path.length];
        for (int j = 0; j < path.length; j++) {
            int p = path[j];
            if (p < 0 || p >= pending) throw new IllegalArgumentException("keep: pending row " + p + " does not exist (" + pending + " pending)");
            int expected = j == 0 ? -1 : path[j - 1];
            if (parent[p] != expected) {
                throw new IllegalArgumentException("keep: row " + p + " has parent " + parent[p] + ", so it cannot follow " + expected);
            }
            rows[j] = committed + p;
        }
        committed += path.length;
        pending = 0;
        return rows;
    }
}
