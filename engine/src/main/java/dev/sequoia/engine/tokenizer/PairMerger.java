package dev.sequoia.engine.tokenizer;

import java.util.PriorityQueue;

/**
 * The loop both BPE flavours share: repeatedly merge the adjacent pair of symbols that a {@link PairRule}
 * ranks best, the leftmost pair winning ties, until no adjacent pair can merge.
 *
 * <p>Done naively (rescan every pair after every merge, as llama2.c does) this is O(n²); here the symbols
 * form a doubly linked list and the candidate pairs sit in a priority queue ordered by (priority, position
 * of the left symbol). A merge changes only the two pairs around the new symbol, so it pushes at most two
 * candidates; entries made stale by earlier merges are recognised by a per-symbol version and skipped.
 * The result is exactly that of the naive loop: the queue's head is the best-ranked, leftmost live pair.
 *
 * <p>Stateless; each {@link #merge} call owns its arrays, so one instance may serve many threads.
 */
final class PairMerger {
    private PairMerger() {}

    /** Which adjacent pairs may merge, into what, and how urgently. */
    @FunctionalInterface
    interface PairRule {
        /**
         * The merge of {@code left} followed by {@code right}, or null when the pair cannot merge.
         * Lower {@link Merge#priority()} merges first.
         */
        Merge find(int left, int right);
    }

    /** A possible merge: the token it produces and its priority (lower is merged earlier). */
    record Merge(int token, double priority) {}

    /** Candidate pair, valid while both symbols still carry the versions seen when it was queued. */
    private record Candidate(int left, int right, int leftVersion, int rightVersion, Merge merge) {}

    /** Merges {@code tokens} in place order; returns the surviving tokens, left to right. */
    static int[] merge(int[] tokens, PairRule rule) {
        int n = tokens.length;
        if (n < 2) return tokens.clone();
        int[] token = tokens.clone();
        int[] prev = new int[n];
        int[] next = new int[n];
        int[] version = new int[n];
        boolean[] alive = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            alive[i] = true;
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>((a, b) -> {
            int byPriority = Double.compare(a.merge().priority(), b.merge().priority());
            return byPriority != 0 ? byPriority : Integer.compare(a.left(), b.left());
        });
        for (int i = 0; i + 1 < n; i++) offer(queue, rule, token, version, i, i + 1);

        int survivors = n;
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            int l = c.left(), r = c.right();
            boolean stale = !alive[l] || !alive[r] || next[l] != r
                    || version[l] != c.leftVersion() || version[r] != c.rightVersion();
            if (stale) continue;
            // the left symbol absorbs the right one
            token[l] = c.merge().token();
            version[l]++;
            alive[r] = false;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            survivors--;
            if (prev[l] >= 0) offer(queue, rule, token, version, prev[l], l);
            if (next[l] >= 0) offer(queue, rule, token, version, l, next[l]);
        }

        int[] out = new int[survivors];
        for (int i = 0, k = 0; i >= 0; i = next[i]) out[k++] = token[i];
        return out;
    }

    private static void offer(PriorityQueue<Candidate> queue, PairRule rule, int[] token, int[] version,
                              int left, int right) {
        Merge m = rule.find(token[left], token[right]);
        if (m != null) queue.add(new Candidate(left, right, version[left], version[right], m));
    }
}
