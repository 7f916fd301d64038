package dev.sequoia.verify;

import dev.sequoia.sample.WithoutReplacement;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CandidateAcceptanceTest {
    private static final double[] P = {.5, .2, .15, .1, .05};
    private static final double[] Q = {.1, .4, .3, .15, .05};

    @Test
    void averagedOverDrawnCandidatesItIsTheExactAcceptanceVector() {
        SplittableRandom rnd = new SplittableRandom(3);
        int draws = 200_000;
        double[] sum = new double[5];
        for (int i = 0; i < draws; i++) {
            double[] m = CandidateAcceptance.sequoia(P, Q, WithoutReplacement.sample(Q, 5, rnd));
            for (int j = 0; j < 5; j++) sum[j] += m[j] / draws;
        }
        assertArrayEquals(new double[]{.6, .060644, .092344, .142547, .104465}, sum, 2e-3);
    }

    @Test
    void aSingleCandidateAcceptsWithTheOptimalTransportProbability() {
        // E over x~Q of min(1, P(x)/Q(x)) = 1 - TV(P, Q) = 0.6
        double expected = 0;
        for (int x = 0; x < 5; x++) expected += Q[x] * CandidateAcceptance.sequoia(P, Q, new int[]{x})[0];
        assertEquals(.6, expected, 1e-12);
    }
}
