package dev.sequoia.engine.sampling;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class SamplerTest {
    private static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < probs.length; i++) l[i] = (float) Math.log(probs[i]);
        return l;
    }

    @Test
    void argmaxPrefersTheLowestIdOnTies() {
        assertEquals(1, Sampler.argmax(new float[]{0f, 3f, 1f, 3f}));
    }

    @Test
    void topPKeepsTheCrossingToken() {
        // sorted masses .5 .3 .15 .05: reaching 0.6 needs the first two (the crossing token included)
        double[] p = Sampler.probabilities(logitsOf(.15, .5, .05, .3), new SamplingParams(1, 0, 0.6, 0));
        assertArrayEquals(new double[]{0, .625, 0, .375}, p, 1e-7);
        // exactly reaching p keeps no more than needed
        double[] q = Sampler.probabilities(logitsOf(.15, .5, .05, .3), new SamplingParams(1, 0, 0.8, 0));
        assertEquals(0, q[0], 1e-12);
        assertEquals(0.625, q[1], 1e-6);
    }

    @Test
    void topKThenTemperature() {
        double[] p = Sampler.probabilities(logitsOf(.1, .2, .3, .4), new SamplingParams(1, 2, 1, 0));
        assertArrayEquals(new double[]{0, 0, 3.0 / 7, 4.0 / 7}, p, 1e-7);
        double[] hot = Sampler.probabilities(logitsOf(.2, .8), new SamplingParams(0.5, 0, 1, 0));
        assertEquals(.04 / (.04 + .64), hot[0], 1e-7); // p^(1/T) renormalised
    }

    @Test
    void samplingFollowsTheDistribution() {
        float[] logits = logitsOf(.1, .6, .3);
        SamplingParams params = new SamplingParams(1, 0, 1, 0);
        SplittableRandom rnd = new SplittableRandom(5);
        int[] counts = new int[3];
        int draws = 200_000;
        for (int i = 0; i < draws; i++) counts[Sampler.sample(logits, params, rnd)]++;
        assertEquals(.1, counts[0] / (double) draws, 0.005);
        assertEquals(.6, counts[1] / (double) draws, 0.005);
        assertEquals(.3, counts[2] / (double) draws, 0.005);
    }

    @Test
    void invalidParametersAreRejectedWithTheirName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingParams(-1, 0, 1, 0))
                .getMessage().contains("temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, -2, 1, 0))
                .getMessage().contains("top-k"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 0, 0))
                .getMessage().contains("top-p"));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(Double.NaN, 0, 1, 0));
    }

    @Test
    void logprobsAreNormalisedAndSorted() {
        Sampler.TokenLogprob[] top = Sampler.topLogprobs(logitsOf(.2, .5, .3), 2);
        assertEquals(1, top[0].token());
        assertEquals(Math.log(.5), top[0].logprob(), 1e-6);
        assertEquals(2, top[1].token());
    }
}
