package dev.sequoia.engine.kernel;

import dev.sequoia.engine.kv.KvCache;

/**
 * Scaled dot-product attention for a batch of pending tokens over a {@link KvCache}: each token sees the
 * committed rows, its pending ancestors and itself (tree attention; a chain is ordinary causal attention).
 * Query head h reads KV head {@code h / (heads / kvHeads)} (grouped-query attention).
 *
 * <p>This is the plain reference version: one token, one head at a time, scores in a scratch array.
 */
public class TreeAttention {
    protected final int heads;
    protected final int kvHeads;
    protected final int headDim;

    public TreeAttention(int heads, int kvHeads, int headDim) {
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
    }

    /**
     * q (n, heads*headDim) -> out (n, heads*headDim), for the pending rows
     * {@code firstPending .. firstPending+n-1} of {@code cache} whose K/V are already written.
     */
    public void attend(float[] q, KvCache cache, int layer, int firstPending, int n, float[] out) {
        for (int t = 0; t < n; t++) {
            int[] rows = visibleRows(cache, firstPending + t);
            for (int h = 0; h < heads; h++) {
                attendHead(q, t, h, cache, layer, rows, out);
            }
        }
    }

    /** Cache rows that pending row p attends to, ascending: the committed prefix, then its ancestors and itself. */
    protected static int[] visibleRows(KvCache cache, int p) {
        int committed = cache.committed();
        int[] path = cache.visiblePending(p);
        int[] rows = new int[committed + path.length];
        for (int r = 0; r < committed; r++) rows[r] = r;
        for (int i = 0; i < path.length; i++) rows[committed + i] = cache.pendingRow(path[i]);
        return rows;
    }

    private void attendHead(float[] q, int t, int h, KvCache cache, int layer, int[] rows, float[] out) {
        int kvDim = cache.kvDim();
        int qOff = t * heads * headDim + h * headDim;
        int kvOff = (h / (heads / kvHeads)) * headDim;
        float[] keys = cache.keys(layer);
        float[] values = cache.values(layer);
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] scores = new float[rows.length];
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < rows.length; i++) {
            int kOff = rows[i] * kvDim + kvOff;
            float s = 0f;
            for (int d = 0; d < headDim; d++) s += q[qOff + d] * keys[kOff + d];
            scores[i] = s * scale;
            max = Math.max(max, scores[i]);
        }
        float sum = 0f;
        for (int i = 0; i < rows.length; i++) {
            scores[i] = (float) Math.exp(scores[i] - max);
            sum += scores[i];
        }
        for (int d = 0; d < headDim; d++) out[qOff + d] = 0f;
        for (int i = 0; i < rows.length; i++) {
            float w = scores[i] / sum;
            int vOff = rows[i] * kvDim + kvOff;
            for (int d = 0; d < headDim; d++) out[qOff + d] += w * values[vOff + d];
        }
    }
}
