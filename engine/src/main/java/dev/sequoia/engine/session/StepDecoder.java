package dev.sequoia.engine.session;

import dev.sequoia.engine.sampling.SamplingParams;

import java.util.random.RandomGenerator;

/**
 * Decodes one session's sequence a step at a time over its KV caches. Confined to the engine thread.
 *
 * <p>Between steps the caches hold every token of the sequence but the last one, the <em>root</em>: a step
 * feeds the root, commits it and every accepted token except the newest, and returns the new tokens; the
 * newest becomes the next root. (The engine may keep the end of a prompt out of the caches until a round
 * feeds it ahead of its step: {@link #beginRound}'s {@code feed}.)
 */
public interface StepDecoder extends AutoCloseable {
    /** Feeds a chain of tokens into the caches and commits it (prefill). */
    void feed(int[] tokens);

    /** One decoding step from {@code root}: returns at least one token. */
    StepOutput step(int root, SamplingParams sampling, RandomGenerator random);

    /**
     * Begins one step as a {@link StepRound} that a shared pass can batch with other sessions' rounds, or
     * returns null when this decoder's forwards cannot share a pass (then the engine feeds and runs {@link #step}
     * alone).
     *
     * @param feed tokens after the committed rows and before {@code root} (the end of a prompt), fed in the
     *             round's own forwards ahead of the step's rows and committed with its kept path; may be empty
     * @param tree the tree the pass planned for this session this step, or null for the decoder's own choice
     */
    default StepRound beginRound(int[] feed, int root, SamplingParams sampling, RandomGenerator random,
                                 dev.sequoia.engine.speculative.TreeSpec tree) {
        return null;
    }

    /**
     * Begins a round that only feeds and commits {@code chunk} (a part of a long prompt, after the committed
     * rows), one forward per model, for a shared pass to batch; its {@link StepRound#output()} is null. Returns
     * null when this decoder's forwards cannot share a pass.
     */
    default StepRound beginFeed(int[] chunk) {
        return null;
    }

    /** Committed rows in the caches. */
    int committed();

    /** Drops committed rows from {@code length} on (to cut a step short at a stop condition). */
    void truncate(int length);

    /** Cache rows the next step needs besides the committed ones. */
    int rowsPerStep();

    /** The most rows the caches can hold. */
    int capacity();

    /** Bytes of KV memory held now. */
    long kvBytes();

    /**
     * Whether {@link #snapshot(int)} and {@link #restore} work; the engine skips the prompt-prefix cache for a
     * decoder that answers false (the CUDA decoders: their rows live on the device).
     */
    default boolean supportsSnapshots() { return true; }

    /** Copies of the first {@code rows} committed KV rows of every cache (target first), for the prompt-prefix cache. */
    java.util.List<dev.sequoia.engine.kv.KvCache.Snapshot> snapshot(int rows);

    /** Replaces the caches' contents with snapshots taken by {@link #snapshot(int)} of a decoder like this one. */
    void restore(java.util.List<dev.sequoia.engine.kv.KvCache.Snapshot> snapshots);

    /** Frees the caches. */
    @Override
    void close();

    /**
     * @param tokens        the new tokens, in order
     * @param logits        per new token, the target's untempered logits it was chosen from
     * @param draftForwards draft forwards this step ran
     * @param drafted       draft tokens the target verified this step (the tree's size less its root)
     * @param verifiedRows  rows of the target's verification forward that were this session's (its tree, and
     *                      a prompt chain fed ahead of it)
     */
    record StepOutput(int[] tokens, float[][] logits, int draftForwards, long draftNanos, long verifyNanos,
                      long sampleNanos, int drafted, int verifiedRows) {
        /** A plain step's output: one verified row, nothing drafted. */
        public StepOutput(int[] tokens, float[][] logits, int draftForwards, long draftNanos, long verifyNanos,
                          long sampleNanos) {
            this(tokens, logits, draftForwards, draftNanos, verifyNanos, sampleNanos, 0, 1);
        }
    }
}
