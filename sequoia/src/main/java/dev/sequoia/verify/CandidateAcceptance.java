package dev.sequoia.verify;

/**
 * The probability that each of a node's drafted candidates is the accepted one, with the accept coins
 * integrated out (Rao-Blackwellised): for candidates {@code x_1..x_k} drawn without replacement,
 * {@code m_j = a_j * prod_{i<j} (1 - a_i)} with {@code a_j = min(1, R_j(x_j) / D_j(x_j))}, where R and D evolve
 * exactly as {@link SequoiaVerifier} updates them after each rejection. Averaged over on-policy contexts
 * this estimates the acceptance vector with far less variance than counting which rank won.
 */
public final class CandidateAcceptance {
    private CandidateAcceptance() {
    }

    /**
     * @param target     P at the node (after temperature and top-p)
     * @param draft      Q at the node
     * @param candidates the proposals, in the order they were drawn
     * @return per rank j, the probability that candidate j is the accepted one
     */
    public static double[] sequoia(double[] target, double[] draft, int[] candidates) {
        double[] m = new double[candidates.length];
        double[] r = target.clone();
        double[] d = draft.clone();
        boolean[] rejected = new boolean[draft.length];
        double stillRejected = 1.0;
        for (int j = 0; j < candidates.length && stillRejected > 0; j++) {
            int s = candidates[j];
            double accept = d[s] <= 0 ? 0 : Math.min(1, r[s] / d[s]);
            m[j] = stillRejected * accept;
            stillRejected *= 1 - accept;
            if (accept < 1) {
                r = Residual.after(r, d, s);
                SequoiaVerifier.removeRejected(d, rejected, s);
            }
        }
        return m;
    }
}
