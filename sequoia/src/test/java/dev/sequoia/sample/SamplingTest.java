package dev.sequoia.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sequoia.testing.ChiSquare;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplingTest {
    /** Ordered triples drawn without replacement follow successive sampling; the same counts reject q 0.01 off. */
    @Test
    void orderedTriplesWithoutReplacementMatchSuccessiveSampling() {
        double[] q = {.1, .4, .3, .15, .05};
        int v = q.length;
        long[] counts = new long[v * v * v];
        SplittableRandom rng = new SplittableRandom(42);
        for (int i = 0; i < 1_000_000; i++) {
            int[] s = WithoutReplacement.sample(q, 3, rng);
            counts[(s[0] * v + s[1]) * v + s[2]]++;
        }
        double p = ChiSquare.pValue(counts, successiveSampling(q));
        assertTrue(p > 1e-3, "ordered triples differ from successive sampling, p=" + p);
        double wrong = ChiSquare.pValue(counts, successiveSampling(new double[] {.11, .4, .3, .15, .04}));
        assertTrue(wrong < 1e-3, "no power: the law of q 0.01 off is not rejected, p=" + wrong);
    }

    private static double[] successiveSampling(double[] q) {
        int v = q.length;
        double[] exact = new double[v * v * v];
        for (int a = 0; a < v; a++) {
            for (int b = 0; b < v; b++) {
                for (int c = 0; c < v; c++) {
                    if (a != b && b != c && a != c) {
                        exact[(a * v + b) * v + c] = q[a] * q[b] / (1 - q[a]) * q[c] / (1 - q[a] - q[b]);
                    }
                }
            }
        }
        return exact;
    }

    @Test
    void withoutReplacementContinuesUniformlyOnceTheSupportIsExhausted() {
        double[] q = {0, .7, 0, .3};
        SplittableRandom rng = new SplittableRandom(5);
        long[] third = new long[4];
        for (int i = 0; i < 100_000; i++) {
            int[] s = WithoutReplacement.sample(q, 4, rng);
            assertEquals(4, Arrays.stream(s).distinct().count());
            assertTrue(s[0] == 1 || s[0] == 3);
            assertTrue(q[s[1]] > 0, "both tokens with mass come before any without");
            third[s[2]]++;
        }
        assertTrue(ChiSquare.pValue(third, new double[] {.5, 0, .5, 0}) > 1e-3);
        assertTrue(ChiSquare.pValue(third, new double[] {.52, 0, .48, 0}) < 1e-3, "no power against 0.02 off");
    }

    @Test
    void topPMatchesHuggingFaceOnRandomLogits() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (int trial = 0; trial < 1000; trial++) {
            int v = 2 + rnd.nextInt(40);
            float[] logits = new float[v];
            for (int i = 0; i < v; i++) {
                logits[i] = (float) (rnd.nextGaussian() * 3);
            }
            double topP = 0.05 + 0.9 * rnd.nextDouble();
            double[] p = Distributions.softmax(logits, 0.7);
            assertArrayEquals(huggingFaceTopP(p, topP), Distributions.topP(p, topP), 1e-12, "trial " + trial);
        }
    }

    /** HF's TopPLogitsWarper, as written there: ascending sort, cumulative sum, drop cum <= 1 - top_p, keep the last. */
    private static double[] huggingFaceTopP(double[] p, double topP) {
        Integer[] asc = new Integer[p.length];
        for (int i = 0; i < asc.length; i++) {
            asc[i] = i;
        }
        Arrays.sort(asc, (a, b) -> p[a] != p[b] ? Double.compare(p[a], p[b]) : Integer.compare(b, a));
        boolean[] remove = new boolean[p.length];
        double cum = 0;
        for (int j = 0; j < asc.length; j++) {
            cum += p[asc[j]];
            remove[asc[j]] = cum <= 1 - topP && j < asc.length - 1;
        }
        double[] out = new double[p.length];
        double kept = 0;
        for (int i = 0; i < p.length; i++) {
            out[i] = remove[i] ? 0 : p[i];
            kept += out[i];
        }
        for (int i = 0; i < p.length; i++) {
            out[i] /= kept;
        }
        return out;
    }

    @Test
    void topPKeepsTheCrossingToken() {
        assertArrayEquals(new double[] {5 / 7.0, 2 / 7.0, 0, 0}, Distributions.topP(new double[] {.5, .2, .2, .1}, .6),
                1e-15);
        assertArrayEquals(new double[] {1, 0, 0}, Distributions.topP(new double[] {.5, .3, .2}, .5), 1e-15);
    }

    @Test
    void samplingParamsApplyTemperatureAndTopPToTheTargetOnly() {
        float[] logits = {2, 1, 0, -1};
        SamplingParams params = new SamplingParams(0.5, 0.9, 1.5);
        double[] target = params.targetDistribution(logits);
        double[] expected = Distributions.topP(Distributions.softmax(logits, 0.5), 0.9);
        assertArrayEquals(expected, target, 0);
        assertEquals(0, target[3]);
        assertArrayEquals(Distributions.softmax(logits, 1.5), params.draftDistribution(logits), 0);
        assertArrayEquals(new double[] {1, 0, 0, 0}, SamplingParams.greedy().targetDistribution(logits), 0);
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(-1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 1));
    }

    @Test
    void topKPicksTheMostProbableWithLowIdsOnTies() {
        assertArrayEquals(new int[] {1, 0, 2}, TopK.indices(new double[] {.2, .4, .2, .2}, 3));
        assertArrayEquals(new int[] {3, 0}, TopK.indices(new double[] {.1, 0, .05, .85}, 2));
    }
}
