package dev.sequoia.verify;

import java.util.random.RandomGenerator;

/**
 * A tree verification rule together with the way it wants children proposed, since exactness depends on
 * the pair: the children of a node must be proposed by {@link #propose} from the same draft distribution
 * later passed to {@link #verify}. All arithmetic is in double; verifiers hold no state, so one instance
 * serves any number of threads.
 */
public sealed interface Verifier permits SequoiaVerifier, SpecInferVerifier, TopKVerifier, GreedyVerifier {
    /** k child tokens for a node whose draft distribution is {@code draft}, rank 1 first. */
    int[] propose(double[] draft, int k, RandomGenerator rng);

    /**
     * Verifies one accepted node's children in rank order against the target distribution; with no
     * children this draws the bonus token from {@code target}.
     */
    NodeResult verify(double[] target, double[] draft, int[] children, RandomGenerator rng);

    /** Whether {@link #propose} is deterministic (top-k): dynamic tree builders can then price nodes exactly. */
    boolean deterministicProposals();
}
