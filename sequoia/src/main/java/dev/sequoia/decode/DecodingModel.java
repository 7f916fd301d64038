package dev.sequoia.decode;

/**
 * A language model as the speculative decoder sees it: one instance per model (target or draft) with its
 * own KV state for one sequence. The state is a committed sequence plus <em>pending</em> rows appended by
 * {@link #forward} since the last {@link #keep}, numbered 0, 1, 2, ... in the order they were appended
 * (across calls). One representation covers prefill (a chain), single-token decoding and token trees.
 *
 * <p>Not thread-safe: the decoder calls it from one thread.
 */
public interface DecodingModel {
    /**
     * Appends a batch of pending rows and returns, for each, the logits of the next token given the
     * committed sequence, the row's pending ancestors and the row itself.
     *
     * @param tokens the new tokens
     * @param parents for each token, the pending row it follows, or -1 for the last committed token; a
     *     parent always precedes its child
     * @return one vocabulary-sized row of logits per token, in order
     */
    float[][] forward(int[] tokens, int[] parents);

    /**
     * Commits the given pending rows and drops every other pending row. The rows form a path, in order:
     * the first has parent -1 and each later one has the previous as parent. An empty array just drops
     * all pending rows.
     */
    void keep(int[] pendingIndices);

    /** Number of committed tokens. */
    int committedLength();

    int vocabSize();
}
