package dev.sequoia.verify;

import dev.sequoia.sample.Distributions;
import java.util.random.RandomGenerator;

/**
 * SpecInfer's multi-step speculative sampling, a baseline: children are drawn i.i.d. from the draft
 * (with replacement) and the draft distribution is never changed, so a rejected token may be proposed
 * and rejected again. Exact, but loses the cover property.
 */
public final class SpecInferVerifier implements Verifier {
    @Override
    public int[] propose(double[] draft, int k, RandomGenerator rng) {
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = Distributions.sample(draft, rng);
        }
        return out;
    }

    @Override
    public NodeResult verify(double[] target, double[] draft, int[] children, RandomGenerator rng) {
        double[] r = target.clone();
        for (int i = 0; i < children.length; i++) {
            int s = children[i];
            if (rng.nextDouble() * draft[s] < r[s]) {
                return new NodeResult.Accepted(i);
            }
            r = Residual.after(r, draft, s);
        }
        return new NodeResult.Rejected(Distributions.sample(r, rng));
    }

    @Override
    public boolean deterministicProposals() {
        return false;
    }
}
