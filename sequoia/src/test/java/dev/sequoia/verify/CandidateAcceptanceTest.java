package dev.sequoia.verify;

import dev.sequoia.sample.WithoutReplacement;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CandidateAcceptanceTest {
    private static final double[] P = {.5, .2, .15, .1, .05};
    private static final double[] Q = {.1, .4, .3, .15, .05};
    private static final int K = P.length;
    private static final double MONTE_CARLO_TOLERANCE = 2e-3;

    @Test
    void overAllOrdersOfDrawnCandidatesItIsTheExactAcceptanceVector() {
        // every order of 5 candidates drawn without replacement from Q, weighted by its probability
        assertArrayEquals(new double[] {.6, .060644, .092344, .142547, .104465},
                expectedOverOrders(CandidateAcceptance::sequoia), 5e-7);
    }

    @Test
    void averagedOverDrawnCandidatesItIsTheExactAcceptanceVector() {
        SplittableRandom rnd = new SplittableRandom(3);
        int draws = 200_000;
        double[] sum = new double[K];
        for (int i = 0; i < draws; i++) {
            double[] m = CandidateAcceptance.sequoia(P, Q, WithoutReplacement.sample(Q, K, rnd));
            for (int j = 0; j < K; j++) sum[j] += m[j] / draws;
        }
        assertArrayEquals(expectedOverOrders(CandidateAcceptance::sequoia), sum, MONTE_CARLO_TOLERANCE);
    }

    @Test
    void itIsTheRateAtWhichTheVerifierAcceptsEachRank() {
        // the Rao-Blackwellised m_j against counting which rank SequoiaVerifier accepts, coins and all
        SplittableRandom rnd = new SplittableRandom(5);
        SequoiaVerifier verifier = new SequoiaVerifier();
        int runs = 400_000;
        double[] rate = new double[K];
        for (int i = 0; i < runs; i++) {
            if (verifier.verify(P, Q, verifier.propose(Q, K, rnd), rnd) instanceof NodeResult.Accepted a) {
                rate[a.index()] += 1.0 / runs;
            }
        }
        double[] exact = expectedOverOrders(CandidateAcceptance::sequoia);
        for (int j = 0; j < K; j++) {
            double se = Math.sqrt(exact[j] * (1 - exact[j]) / runs);
            assertTrue(Math.abs(rate[j] - exact[j]) <= 5 * se, "rank " + j + ": verifier " + rate[j] + ", m " + exact[j]);
        }
    }

    @Test
    void theMonteCarloToleranceCatchesATargetLeftUnchangedAfterARejection() {
        // power: the same loop with P never replaced by its residual after a rejection (a plausible slip) moves
        // some rank by far more than the tolerance the Monte Carlo test allows, so that test would see it
        double[] wrong = expectedOverOrders(CandidateAcceptanceTest::withoutResidual);
        double[] right = expectedOverOrders(CandidateAcceptance::sequoia);
        double largest = 0;
        for (int j = 0; j < K; j++) largest = Math.max(largest, Math.abs(wrong[j] - right[j]));
        assertTrue(largest > 5 * MONTE_CARLO_TOLERANCE, "the slip moves a rank by only " + largest);
    }

    @Test
    void aSingleCandidateAcceptsWithTheOptimalTransportProbability() {
        // E over x~Q of min(1, P(x)/Q(x)) = 1 - TV(P, Q) = 0.6
        double expected = 0;
        for (int x = 0; x < K; x++) expected += Q[x] * CandidateAcceptance.sequoia(P, Q, new int[] {x})[0];
        assertEquals(.6, expected, 1e-12);
    }

    private interface Acceptance {
        double[] of(double[] target, double[] draft, int[] candidates);
    }

    /** E[m] over every order of K candidates, each weighted by its probability of being drawn in that order. */
    private static double[] expectedOverOrders(Acceptance acceptance) {
        double[] sum = new double[K];
        permute(new int[K], 0, new boolean[K], 1.0, acceptance, sum);
        return sum;
    }

    private static void permute(int[] order, int at, boolean[] used, double weight, Acceptance acceptance, double[] sum) {
        if (at == K) {
            double[] m = acceptance.of(P, Q, order.clone());
            for (int j = 0; j < K; j++) sum[j] += weight * m[j];
            return;
        }
        double left = 0;
        for (int x = 0; x < K; x++) left += used[x] ? 0 : Q[x];
        for (int x = 0; x < K; x++) {
            if (used[x]) continue;
            used[x] = true;
            order[at] = x;
            permute(order, at + 1, used, weight * Q[x] / left, acceptance, sum);
            used[x] = false;
        }
    }

    private static double[] withoutResidual(double[] target, double[] draft, int[] candidates) {
        double[] m = new double[candidates.length];
        double[] d = draft.clone();
        boolean[] rejected = new boolean[d.length];
        double stillRejected = 1;
        for (int j = 0; j < candidates.length; j++) {
            int s = candidates[j];
            double accept = d[s] <= 0 ? 0 : Math.min(1, target[s] / d[s]);
            m[j] = stillRejected * accept;
            stillRejected *= 1 - accept;
            if (accept < 1) SequoiaVerifier.removeRejected(d, rejected, s);
        }
        return m;
    }
}
