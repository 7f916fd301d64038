package dev.sequoia.verify;

import dev.sequoia.sample.Distributions;
import dev.sequoia.sample.WithoutReplacement;
import java.util.random.RandomGenerator;

/**
 * Sequoia's verifier (paper Alg. 2) with children sampled without replacement. For child s_i in rank
 * order: accept iff {@code r < R(s_i)/D(s_i)}; otherwise {@code R <- normalize(max(R - D, 0))} against the
 * current D, then remove s_i from D and renormalise, falling back to uniform over the not-yet-rejected
 * tokens when D has no mass left. If every child is rejected the bonus token is drawn from R. The output
 * token is distributed exactly as the target's (App. F.2.1), for any draft.
 */
public final class SequoiaVerifier implements Verifier {
    @Override
    public int[] propose(double[] draft, int k, RandomGenerator rng) {
        return WithoutReplacement.sample(draft, k, rng);
    }

    @Override
    public NodeResult verify(double[] target, double[] draft, int[] children, RandomGenerator rng) {
        double[] r = target.clone();
        double[] d = draft.clone();
        boolean[] rejected = new boolean[d.length];
        for (int i = 0; i < children.length; i++) {
            int s = children[i];
            if (rng.nextDouble() * d[s] < r[s]) {
                return new NodeResult.Accepted(i);
            }
            r = Residual.after(r, d, s);
            removeRejected(d, rejected, s);
        }
        return new NodeResult.Rejected(Distributions.sample(r, rng));
    }

    /** D <- D without s, renormalised; uniform over the tokens never rejected when D has no mass left. */
    static void removeRejected(double[] d, boolean[] rejected, int s) {
        rejected[s] = true;
        d[s] = 0;
        if (!Distributions.normalizeInPlace(d, 0)) {
            uniformOverUnrejected(d, rejected);
        }
    }

    private static void uniformOverUnrejected(double[] d, boolean[] rejected) {
        int left = 0;
        for (boolean b : rejected) {
            left += b ? 0 : 1;
        }
        for (int x = 0; x < d.length; x++) {
            d[x] = rejected[x] ? 0 : 1.0 / left;
        }
    }

    @Override
    public boolean deterministicProposals() {
        return false;
    }
}
