package dev.sequoia.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sequoia.testing.ChiSquare;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Statistical exactness of the verifiers: over 10^6 seeded draws the emitted token (accepted child or
 * bonus) is distributed as the target, and per-rank acceptance frequencies sit within 4 standard errors
 * of {@link PositionalAcceptance}'s exact values.
 */
class VerifierExactnessTest {
    static final double[] P = {.5, .2, .15, .1, .05};
    static final double[] Q = {.1, .4, .3, .15, .05};
    static final double[] LOW_T_P = {.9, .05, .03, .02};
    static final double[] LOW_T_Q = {.02, .95, .02, .01};
    static final int DRAWS = 1_000_000;

    @Test
    void sequoiaEmitsTheTargetDistributionForTheGoldenPair() {
        for (int k : new int[] {1, 2, 3, 5}) {
            checkExact(new SequoiaVerifier(), P, Q, k, 100 + k);
        }
    }

    @Test
    void sequoiaEmitsTheTargetDistributionAtLowTemperature() {
        for (int k : new int[] {1, 2, 4}) {
            checkExact(new SequoiaVerifier(), LOW_T_P, LOW_T_Q, k, 200 + k);
        }
    }

    @Test
    void sequoiaEmitsTheTargetDistributionForRandomPairs() {
        SplittableRandom rnd = new SplittableRandom(300);
        for (int trial = 0; trial < 3; trial++) {
            double[] p = randomDistribution(rnd, 6);
            double[] q = randomDistribution(rnd, 6);
            checkExact(new SequoiaVerifier(), p, q, 1 + trial * 2, 310 + trial);
        }
    }

    @Test
    void sequoiaFallsBackToUniformWhenTheDraftSupportRunsOut() {
        double[] p = {.5, .3, .2, 0};
        double[] q = {.6, .4, 0, 0};
        double[] perRank = checkExact(new SequoiaVerifier(), p, q, 4, 400);
        assertEquals(1.0, PositionalAcceptance.total(perRank), 1e-12, "cover: 4 proposals over a vocab of 4");
    }

    @Test
    void specInferAndTopKAreExactToo() {
        checkExact(new SpecInferVerifier(), P, Q, 2, 500);
        checkExact(new SpecInferVerifier(), LOW_T_P, LOW_T_Q, 4, 501);
        checkTopK(P, Q, 2, 502);
        checkTopK(LOW_T_P, LOW_T_Q, 1, 503);
    }

    /**
     * Power: the counts of the golden pair's run, held against a target 0.01 off (0.5, 0.05 -> 0.49, 0.06) and
     * against a per-rank vector with 0.003 moved between ranks 1 and 2, are rejected by the same two checks.
     */
    @Test
    void theSameChecksRejectASlightlyWrongLaw() {
        int k = 3;
        Draws d = draw(new SequoiaVerifier(), P, Q, k, 100 + k);
        assertTrue(emittedFollow(d, P) , "the right law must pass");
        assertTrue(ranksFollow(d, PositionalAcceptance.sequoia(P, Q, k)), "the right vector must pass");
        assertTrue(!emittedFollow(d, new double[] {.49, .2, .15, .1, .06}), "a target 0.01 off is not rejected");
        double[] off = PositionalAcceptance.sequoia(P, Q, k);
        off[0] -= .003;
        off[1] += .003;
        assertTrue(!ranksFollow(d, off), "a per-rank vector 0.003 off is not rejected");
    }

    record Draws(long[] emitted, long[] acceptedAtRank) {}

    /** The chi-square check of the emitted tokens against {@code p}. */
    private static boolean emittedFollow(Draws d, double[] p) {
        return ChiSquare.pValue(d.emitted(), p) > 1e-3;
    }

    /** Every rank's acceptance frequency within 4 standard errors of {@code exact}. */
    private static boolean ranksFollow(Draws d, double[] exact) {
        for (int rank = 0; rank < exact.length; rank++) {
            double freq = d.acceptedAtRank()[rank] / (double) DRAWS;
            double se = Math.sqrt(exact[rank] * (1 - exact[rank]) / DRAWS);
            if (!(Math.abs(exact[rank] - freq) <= 4 * se + 1e-12)) return false;
        }
        return true;
    }

    /** Returns the exact per-rank vector it checked against. */
    private static double[] checkExact(Verifier verifier, double[] p, double[] q, int k, long seed) {
        double[] exact = verifier instanceof SequoiaVerifier ? PositionalAcceptance.sequoia(p, q, k)
                : PositionalAcceptance.specInfer(p, q, k);
        Draws d = draw(verifier, p, q, k, seed);
        double pValue = ChiSquare.pValue(d.emitted(), p);
        assertTrue(pValue > 1e-3, verifier.getClass().getSimpleName() + " k=" + k + ": emitted tokens differ from P, p="
                + pValue);
        for (int rank = 0; rank < k; rank++) {
            double freq = d.acceptedAtRank()[rank] / (double) DRAWS;
            double se = Math.sqrt(exact[rank] * (1 - exact[rank]) / DRAWS);
            assertEquals(exact[rank], freq, 4 * se + 1e-12, "rank " + (rank + 1) + " acceptance, k=" + k);
        }
        return exact;
    }

    private static Draws draw(Verifier verifier, double[] p, double[] q, int k, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        long[] emitted = new long[p.length];
        long[] acceptedAtRank = new long[k];
        for (int i = 0; i < DRAWS; i++) {
            int[] children = verifier.propose(q, k, rng);
            if (verifier instanceof SequoiaVerifier) {
                assertDistinct(children);
            }
            switch (verifier.verify(p, q, children, rng)) {
                case NodeResult.Accepted a -> {
                    emitted[children[a.index()]]++;
                    acceptedAtRank[a.index()]++;
                }
                case NodeResult.Rejected r -> emitted[r.bonusToken()]++;
            }
        }
        return new Draws(emitted, acceptedAtRank);
    }

    private static void checkTopK(double[] p, double[] q, int k, long seed) {
        TopKVerifier verifier = new TopKVerifier();
        SplittableRandom rng = new SplittableRandom(seed);
        long[] emitted = new long[p.length];
        int[] children = verifier.propose(q, k, rng);
        for (int i = 0; i < DRAWS; i++) {
            switch (verifier.verify(p, q, children, rng)) {
                case NodeResult.Accepted a -> emitted[children[a.index()]]++;
                case NodeResult.Rejected r -> emitted[r.bonusToken()]++;
            }
        }
        assertTrue(ChiSquare.pValue(emitted, p) > 1e-3, "top-k emitted tokens differ from P");
    }

    private static void assertDistinct(int[] tokens) {
        for (int i = 0; i < tokens.length; i++) {
            for (int j = 0; j < i; j++) {
                assertTrue(tokens[i] != tokens[j], "token " + tokens[i] + " proposed twice");
            }
        }
    }

    static double[] randomDistribution(SplittableRandom rnd, int n) {
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = -Math.log(1 - rnd.nextDouble());
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        return p;
    }

    @Test
    void exactPerRankAcceptanceMatchesTheGoldens() {
        assertArrayEquals(new double[] {.6, .060644, .092344, .142547, .104465},
                PositionalAcceptance.sequoia(P, Q, 5), 5e-7);
        assertArrayEquals(new double[] {.6, .04, .036, .0324, .02916}, PositionalAcceptance.specInfer(P, Q, 5), 1e-12);
        assertEquals(1.0, PositionalAcceptance.total(PositionalAcceptance.sequoia(P, Q, 5)), 1e-12, "cover property");
        assertEquals(.73756, PositionalAcceptance.total(PositionalAcceptance.specInfer(P, Q, 5)), 1e-12);
        assertEquals(.6, PositionalAcceptance.sequoia(P, Q, 1)[0], 1e-12, "1 - TV(P, Q)");
        assertEquals(.64, PositionalAcceptance.total(PositionalAcceptance.specInfer(P, Q, 2)), 1e-12);
    }

    @Test
    void lowTemperatureAndCoverCounterExamplesMatchThePaper() {
        double[] expectedSequoia = {.10, .48, 1.00};
        double[] expectedSpecInfer = {.10, .137, .172};
        int[] ks = {1, 2, 4};
        for (int i = 0; i < ks.length; i++) {
            assertEquals(expectedSequoia[i], PositionalAcceptance.total(
                    PositionalAcceptance.sequoia(LOW_T_P, LOW_T_Q, ks[i])), 5e-3, "Sequoia k=" + ks[i]);
            assertEquals(expectedSpecInfer[i], PositionalAcceptance.total(
                    PositionalAcceptance.specInfer(LOW_T_P, LOW_T_Q, ks[i])), 5e-4, "SpecInfer k=" + ks[i]);
        }
        double[] p = {1, 0};
        double[] q = {.5, .5};
        assertEquals(1.0, PositionalAcceptance.total(PositionalAcceptance.sequoia(p, q, 2)), 1e-12);
        assertEquals(.75, PositionalAcceptance.total(PositionalAcceptance.specInfer(p, q, 2)), 1e-12);
    }

    @Test
    void fuzzedPairsNeverProduceNaNOrAnImpossibleToken() {
        SplittableRandom rnd = new SplittableRandom(600);
        SequoiaVerifier sequoia = new SequoiaVerifier();
        for (int trial = 0; trial < 100_000; trial++) {
            int v = 2 + rnd.nextInt(6);
            double[] p = shape(rnd, v);
            double[] q = trial % 7 == 0 ? p.clone() : shape(rnd, v);
            int k = 1 + rnd.nextInt(v);
            int[] children = sequoia.propose(q, k, rnd);
            int token = switch (sequoia.verify(p, q, children, rnd)) {
                case NodeResult.Accepted a -> children[a.index()];
                case NodeResult.Rejected r -> r.bonusToken();
            };
            assertTrue(p[token] > 0, "emitted token " + token + " has target probability 0");
        }
    }

    /** Random, one-hot or truncated distributions. */
    private static double[] shape(SplittableRandom rnd, int v) {
        return switch (rnd.nextInt(3)) {
            case 0 -> dev.sequoia.sample.Distributions.oneHot(v, rnd.nextInt(v));
            case 1 -> {
                double[] p = randomDistribution(rnd, v);
                p[rnd.nextInt(v)] = 0;
                dev.sequoia.sample.Distributions.normalizeInPlace(p, 0);
                yield p;
            }
            default -> randomDistribution(rnd, v);
        };
    }

    @Test
    void greedyAcceptsTheTargetArgmaxAndOtherwiseEmitsIt() {
        GreedyVerifier greedy = new GreedyVerifier();
        int[] children = greedy.propose(Q, 2, new SplittableRandom(1));
        assertArrayEquals(new int[] {1, 2}, children);
        assertEquals(new NodeResult.Rejected(0), greedy.verify(P, Q, children, new SplittableRandom(1)));
        assertEquals(new NodeResult.Accepted(1), greedy.verify(new double[] {.1, .2, .6, .1, 0}, Q, children,
                new SplittableRandom(1)));
    }
}
