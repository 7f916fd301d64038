package dev.sequoia.engine.backend.cuda;

import java.util.List;

/**
 * Where every row of one shared CUDA forward lives (issue 18): the parts (one per sequence, each with its own
 * device KV cache) are laid out one after another in the pass's batch, so the projections, the feed-forward and
 * the classifier run once over all rows, while RoPE, the KV writes and attention follow each row's own cache.
 * Pure host bookkeeping, built after every part's rows were appended to its {@link TreeRows}:
 * <ul>
 *   <li>batch row {@code offset[i] + t} is token t of part i; its position is its cache's committed length
 *       plus its depth (as a single sequence's forward);
 *   <li>the scatter plan: part i's rows are the contiguous cache rows {@code cacheRow[i] ..} of its own cache
 *       (its committed rows, then its pending rows before this forward);
 *   <li>attention of part i: {@code count[i]} queries over its cache's {@code committed[i]} committed rows and
 *       {@code pendingTotal[i]} pending rows, visibility in {@code mask[maskOffset[i] ..]} laid out as
 *       {@code tree_attention} reads it ({@code t * pendingTotal + j});
 *   <li>the classifier's rows: {@link #logitRows} (batch rows from each part's {@code logitsFrom} on, in part
 *       order), part i's logits being rows {@code logitOffset[i] ..} of the classifier's output.
 * </ul>
 */
final class PassLayout {
    /** One part as appended: its rows, the index of its first new pending row, its tokens and logitsFrom. */
    record Part(TreeRows rows, int first, int[] tokens, int logitsFrom) {
    }

    final int rows;
    final int[] tokens, positions;
    final byte[] mask;
    final int[] offset, count, cacheRow, committed, pendingTotal, maskOffset;
    final int[] logitRows, logitOffset, logitCount;

    private PassLayout(int parts, int rows, int maskBytes, int logits) {
        this.rows = rows;
        tokens = new int[rows];
        positions = new int[rows];
        mask = new byte[maskBytes];
        offset = new int[parts];
        count = new int[parts];
        cacheRow = new int[parts];
        committed = new int[parts];
        pendingTotal = new int[parts];
        maskOffset = new int[parts];
        logitRows = new int[logits];
        logitOffset = new int[parts];
        logitCount = new int[parts];
    }

    static PassLayout of(List<Part> parts) {
        int rows = 0, logits = 0;
        long maskBytes = 0;
        for (Part p : parts) {
            int m = p.tokens().length;
            if (p.first() + m != p.rows().pending()) {
                throw new IllegalArgumentException("part of " + m + " rows from pending row " + p.first()
                        + " is not the end of its cache's " + p.rows().pending() + " pending rows");
            }
            rows += m;
            logits += m - p.logitsFrom();
            maskBytes += (long) m * p.rows().pending();
        }
        if (maskBytes > Integer.MAX_VALUE) throw new IllegalArgumentException("pass visibility of " + maskBytes + " bytes is too large");
        PassLayout l = new PassLayout(parts.size(), rows, (int) maskBytes, logits);
        int row = 0, mask = 0, logit = 0;
        for (int i = 0; i < parts.size(); i++) {
            Part p = parts.get(i);
            TreeRows r = p.rows();
            int m = p.tokens().length;
            l.offset[i] = row;
            l.count[i] = m;
            l.committed[i] = r.committed();
            l.pendingTotal[i] = r.pending();
            l.cacheRow[i] = r.committed() + p.first();
            l.maskOffset[i] = mask;
            byte[] visible = r.visibility(p.first(), m);
            System.arraycopy(visible, 0, l.mask, mask, visible.length);
            mask += visible.length;
            l.logitOffset[i] = logit;
            l.logitCount[i] = m - p.logitsFrom();
            for (int t = 0; t < m; t++) {
                l.tokens[row + t] = p.tokens()[t];
                l.positions[row + t] = r.position(p.first() + t);
                if (t >= p.logitsFrom()) l.logitRows[logit++] = row + t;
            }
            row += m;
        }
        return l;
    }

    int parts() { return offset.length; }

    /** Whether some rows get no logits, so the classifier's rows must be gathered first. */
    boolean compacts() { return logitRows.length < rows; }

    /** Bytes of the pinned staging this pass's uploads need (tokens, positions, visibility, classifier rows). */
    long stagingBytes() {
        return StagedInputs.bytesFor(4L * rows, 4L * rows, mask.length, compacts() ? 4L * logitRows.length : 0);
    }
}
