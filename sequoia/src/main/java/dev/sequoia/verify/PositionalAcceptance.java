package dev.sequoia.verify;

import java.util.Arrays;

/**
 * Exact per-rank acceptance {@code m_k = P(children 1..k-1 rejected and child k accepted)} of one node, for
 * a target P and a draft Q: the acceptance vector the positional-acceptance assumption prices trees with.
 * Computed by enumerating every proposal sequence with the accept coin integrated out
 * ({@code a = min(1, R(s)/D(s))}), so the cost is O(|V|^k): meant for small vocabularies and for
 * averaging over sampled contexts.
 */
public final class PositionalAcceptance {
    private PositionalAcceptance() {
    }

    /** Sequoia: proposals without replacement, residual and draft updated as {@link SequoiaVerifier} does. */
    public static double[] sequoia(double[] target, double[] draft, int k) {
        double[] m = new double[k];
        sequoia(target.clone(), draft.clone(), new boolean[draft.length], 0, 1.0, m);
        return m;
    }

    private static void sequoia(double[] r, double[] d, boolean[] rejected, int rank, double weight, double[] m) {
        if (rank == m.length || weight == 0) {
            return;
        }
        for (int s = 0; s < d.length; s++) {
            if (d[s] <= 0) {
                continue;
            }
            double accept = Math.min(1, r[s] / d[s]);
            m[rank] += weight * d[s] * accept;
            double reject = weight * d[s] * (1 - accept);
            if (reject > 0) {
                double[] nextR = Residual.after(r, d, s);
                double[] nextD = d.clone();
                boolean[] nextRejected = rejected.clone();
                SequoiaVerifier.removeRejected(nextD, nextRejected, s);
                sequoia(nextR, nextD, nextRejected, rank + 1, reject, m);
            }
        }
    }

    /** SpecInfer: i.i.d. proposals from an unchanged draft. */
    public static double[] specInfer(double[] target, double[] draft, int k) {
        double[] m = new double[k];
        specInfer(target.clone(), draft, 0, 1.0, m);
        return m;
    }

    private static void specInfer(double[] r, double[] q, int rank, double weight, double[] m) {
        if (rank == m.length || weight == 0) {
            return;
        }
        for (int s = 0; s < q.length; s++) {
            if (q[s] <= 0) {
                continue;
            }
            double accept = Math.min(1, r[s] / q[s]);
            m[rank] += weight * q[s] * accept;
            double reject = weight * q[s] * (1 - accept);
            if (reject > 0) {
                specInfer(Residual.after(r, q, s), q, rank + 1, reject, m);
            }
        }
    }

    /** The probability that some child is accepted. */
    public static double total(double[] perRank) {
        return Arrays.stream(perRank).sum();
    }
}
