package dev.sequoia.verify;

import dev.sequoia.sample.Distributions;
import dev.sequoia.sample.TopK;
import java.util.random.RandomGenerator;

/**
 * Temperature 0: the children are the draft's top-k; the child equal to the target's argmax is accepted,
 * otherwise the argmax is the bonus token. Every emitted token is the target's argmax given its prefix,
 * so the output equals plain greedy decoding. Ties go to the lowest token id, as in greedy decoding.
 */
public final class GreedyVerifier implements Verifier {
    @Override
    public int[] propose(double[] draft, int k, RandomGenerator rng) {
        return TopK.indices(draft, k);
    }

    @Override
    public NodeResult verify(double[] target, double[] draft, int[] children, RandomGenerator rng) {
        int best = Distributions.argmax(target);
        for (int i = 0; i < children.length; i++) {
            if (children[i] == best) {
                return new NodeResult.Accepted(i);
            }
        }
        return new NodeResult.Rejected(best);
    }

    @Override
    public boolean deterministicProposals() {
        return true;
    }
}
