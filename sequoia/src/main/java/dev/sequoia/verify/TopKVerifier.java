package dev.sequoia.verify;

import dev.sequoia.sample.Distributions;
import dev.sequoia.sample.TopK;
import java.util.random.RandomGenerator;

/**
 * The top-k baseline: the children are the draft's k most probable tokens; one token y is sampled from
 * the target and the child equal to y is accepted, otherwise y is the bonus token. Exact, has the cover
 * property, but not optimal transport.
 */
public final class TopKVerifier implements Verifier {
    @Override
    public int[] propose(double[] draft, int k, RandomGenerator rng) {
        return TopK.indices(draft, k);
    }

    @Override
    public NodeResult verify(double[] target, double[] draft, int[] children, RandomGenerator rng) {
        int y = Distributions.sample(target, rng);
        for (int i = 0; i < children.length; i++) {
            if (children[i] == y) {
                return new NodeResult.Accepted(i);
            }
        }
        return new NodeResult.Rejected(y);
    }

    @Override
    public boolean deterministicProposals() {
        return true;
    }
}
