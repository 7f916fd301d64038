package dev.sequoia.engine.kv;

import java.util.Arrays;

/**
 * One sequence's key/value cache for every layer, in fp32.
 *
 * <p>Rows {@code [0, committed)} hold the committed sequence, row r at position r. After them come the
 * <em>pending</em> rows appended by forward calls since the last {@link #keep}: a pending row has a parent
 * (another pending row, or -1 for the last committed token) and sits at position {@code committed + depth}.
 * A pending row attends to the committed rows, its pending ancestors and itself. {@link #keep} turns a
 * path of pending rows into committed rows and drops the others, so decoding continues exactly as if only
 * that path had been fed.
 *
 * <p>Threading: owned by one session; used only by the engine thread that runs its forwards.
 */
public final class KvCache {
    private final int layers;
    private final int kvDim;
    private final int capacity;
    private float[][] keys;
    private float[][] values;
    private int rowsAllocated;
    private int committed;
    private int pending;
    private int[] pendingParent = new int[16];
    private int[] pendingDepth = new int[16];

    /**
     * @param capacity the most rows (committed plus pending) the cache may ever hold
     */
    public KvCache(int layers, int kvDim, int capacity) {
        if (layers <= 0 || kvDim <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("KV cache needs positive layers, kvDim and capacity: "
                    + layers + ", " + kvDim + ", " + capacity);
        }
        this.layers = layers;
        this.kvDim = kvDim;
        this.capacity = capacity;
        this.keys = new float[layers][];
        this.values = new float[layers][];
        allocateRows(Math.min(capacity, 64));
    }

    public int layers() { return layers; }
    public int kvDim() { return kvDim; }
    public int capacity() { return capacity; }
    public int committed() { return committed; }
    public int pending() { return pending; }

    /** Bytes of fp32 K and V currently allocated: what this cache costs in memory. */
    public long allocatedBytes() { return 2L * layers * rowsAllocated * kvDim * Float.BYTES; }

    /** Bytes that the committed rows occupy (what a snapshot of them costs). */
    public long committedBytes() { return 2L * layers * committed * kvDim * Float.BYTES; }

    /** Keys of one layer: row r occupies {@code [r*kvDim, (r+1)*kvDim)}. */
    public float[] keys(int layer) { return keys[layer]; }

    public float[] values(int layer) { return values[layer]; }

    /** Cache row of pending row {@code p}. */
    public int pendingRow(int p) { return committed + p; }

    /** Position (for RoPE) of pending row {@code p}. */
    public int pendingPosition(int p) { return committed + pendingDepth[p]; }

    public int pendingParent(int p) { return pendingParent[p]; }

    /**
     * Appends {@code parents.length} pending rows. {@code parents[i]} names a pending row (an earlier one,
     * from this or a previous call since the last keep) or -1 for the last committed token.
     *
     * @return the index of the first new pending row
     * @throws IllegalArgumentException on a parent that does not precede its child, or when full
     */
    public int appendPending(int[] parents) {
        int first = pending;
        int n = parents.length;
        if (committed + pending + n > capacity) {
            throw new IllegalArgumentException("KV cache full: " + committed + " committed + " + pending
                    + " pending + " + n + " new rows exceed the capacity of " + capacity + " (context length)");
        }
        for (int i = 0; i < n; i++) {
            int parent = parents[i];
            if (parent < -1 || parent >= first + i) {
                throw new IllegalArgumentException("token " + i + " of the batch names parent " + parent
                        + ", expected -1 or a pending row below " + (first + i));
            }
        }
        ensurePendingArrays(first + n);
        allocateRows(committed + first + n);
        for (int i = 0; i < n; i++) {
            int parent = parents[i];
            pendingParent[first + i] = parent;
            pendingDepth[first + i] = parent < 0 ? 0 : pendingDepth[parent] + 1;
        }
        pending = first + n;
        return first;
    }

    /** Drops pending rows from {@code firstPending} on: undoes a forward that failed half-way. */
    public void truncatePending(int firstPending) {
        if (firstPending < 0 || firstPending > pending) {
            throw new IllegalArgumentException("cannot truncate pending rows to " + firstPending + " of " + pending);
        }
        pending = firstPending;
    }

    /**
     * The pending rows that pending row {@code p} attends to: its ancestors and itself, ascending.
     */
    public int[] visiblePending(int p) {
        int count = pendingDepth[p] + 1;
        int[] rows = new int[count];
        for (int q = p, i = count - 1; q >= 0; q = pendingParent[q], i--) rows[i] = q;
        return rows;
    }

    /**
     * Commits the pending rows {@code path} (a chain: path[0] has parent -1, each next one is the child of
     * the previous) and drops every other pending row.
     */
    public void keep(int[] path) {
        for (int j = 0; j < path.length; j++) {
            int p = path[j];
            if (p < 0 || p >= pending) {
                throw new IllegalArgumentException("keep: pending row " + p + " does not exist (" + pending + " pending)");
            }
            int expectedParent = j == 0 ? -1 : path[j - 1];
            if (pendingParent[p] != expectedParent) {
                throw new IllegalArgumentException("keep: row " + p + " has parent " + pendingParent[p]
                        + ", so it cannot follow " + expectedParent + " on a kept path");
            }
        }
        // Ascending parents-before-children order means path[j] >= j, so moving rows forward is safe.
        for (int layer = 0; layer < layers; layer++) {
            for (int j = 0; j < path.length; j++) {
                int from = committed + path[j];
                int to = committed + j;
                if (from != to) {
                    System.arraycopy(keys[layer], from * kvDim, keys[layer], to * kvDim, kvDim);
                    System.arraycopy(values[layer], from * kvDim, values[layer], to * kvDim, kvDim);
                }
            }
        }
        committed += path.length;
        pending = 0;
    }

    /** Drops every pending row and committed rows from {@code length} on. */
    public void truncate(int length) {
        if (length < 0 || length > committed) {
            throw new IllegalArgumentException("cannot truncate to " + length + " rows, " + committed + " committed");
        }
        committed = length;
        pending = 0;
    }

    /** A copy of the first {@code rows} committed rows, to seed another cache (prompt-prefix caching). */
    public Snapshot snapshot(int rows) {
        if (rows < 0 || rows > committed) {
            throw new IllegalArgumentException("snapshot of " + rows + " rows, " + committed + " committed");
        }
        float[][] k = new float[layers][];
        float[][] v = new float[layers][];
        for (int l = 0; l < layers; l++) {
            k[l] = Arrays.copyOf(keys[l], rows * kvDim);
            v[l] = Arrays.copyOf(values[l], rows * kvDim);
        }
        return new Snapshot(rows, kvDim, k, v);
    }

    /** Replaces this cache's contents with a snapshot's rows. */
    public void restore(Snapshot s) {
        if (s.kvDim() != kvDim || s.keys().length != layers || s.rows() > capacity) {
            throw new IllegalArgumentException("snapshot of a different shape: " + s.keys().length + " layers x "
                    + s.kvDim() + ", rows " + s.rows());
        }
        allocateRows(s.rows());
        for (int l = 0; l < layers; l++) {
            System.arraycopy(s.keys()[l], 0, keys[l], 0, s.rows() * kvDim);
            System.arraycopy(s.values()[l], 0, values[l], 0, s.rows() * kvDim);
        }
        committed = s.rows();
        pending = 0;
    }

    /** Committed K/V rows copied out of a cache. Immutable by convention: nobody writes its arrays. */
    public record Snapshot(int rows, int kvDim, float[][] keys, float[][] values) {
        public long bytes() { return 2L * keys.length * rows * kvDim * Float.BYTES; }
    }

    private void allocateRows(int rowsNeeded) {
        if (rowsNeeded <= rowsAllocated) return;
        int rows = Math.max(rowsNeeded, Math.min(capacity, Math.max(64, rowsAllocated * 2)));
        for (int l = 0; l < layers; l++) {
            keys[l] = keys[l] == null ? new float[rows * kvDim] : Arrays.copyOf(keys[l], rows * kvDim);
            values[l] = values[l] == null ? new float[rows * kvDim] : Arrays.copyOf(values[l], rows * kvDim);
        }
        rowsAllocated = rows;
    }

    private void ensurePendingArrays(int n) {
        if (n > pendingParent.length) {
            int size = Math.max(n, pendingParent.length * 2);
            pendingParent = Arrays.copyOf(pendingParent, size);
            pendingDepth = Arrays.copyOf(pendingDepth, size);
        }
    }
}
