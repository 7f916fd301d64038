package dev.sequoia.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sequoia.sample.Distributions;
import dev.sequoia.sample.SamplingParams;
import dev.sequoia.testing.ChiSquare;
import dev.sequoia.tree.AcceptanceVector;
import dev.sequoia.tree.Tree;
import dev.sequoia.tree.TreeShapes;
import dev.sequoia.tree.UnboundedTreeDp;
import dev.sequoia.verify.PositionalAcceptance;
import dev.sequoia.verify.TopKVerifier;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SpeculativeDecoderTest {
    private static final double[] P = {.5, .2, .15, .1, .05};
    private static final double[] Q = {.1, .4, .3, .15, .05};

    @Test
    void measuredTokensPerStepEqualsTheDpValueForSequoiaChainAndKByLTrees() {
        SamplingParams params = SamplingParams.of(1, 1);
        double[] p = params.targetDistribution(SyntheticModel.logitsOf(P));
        double[] q = params.draftDistribution(SyntheticModel.logitsOf(Q));
        AcceptanceVector vector = new AcceptanceVector(PositionalAcceptance.sequoia(p, q, 5));
        Tree sequoia = UnboundedTreeDp.solve(vector, 16).tree(16);
        for (Tree tree : List.of(sequoia, TreeShapes.chain(4), TreeShapes.kByL(2, 3))) {
            SpeculativeDecoder decoder = new SpeculativeDecoder(SyntheticModel.fixed(P), SyntheticModel.fixed(Q),
                    new StaticTreePolicy(tree), params, new SplittableRandom(tree.size()));
            decoder.prefill(new int[] {0});
            int steps = 20_000;
            double sum = 0;
            double sumSq = 0;
            for (int i = 0; i < steps; i++) {
                int n = decoder.step().tokens().length;
                sum += n;
                sumSq += (double) n * n;
            }
            double mean = sum / steps;
            double se = Math.sqrt((sumSq / steps - mean * mean) / steps);
            double g = tree.expectedTokens(vector);
            assertEquals(g, mean, 3 * se, tree + ": measured " + mean + " vs G(T) " + g);
            assertEquals(mean, decoder.counters().tokensPerStep(), 1e-12);
            assertEquals(steps, decoder.counters().targetForwards());
            assertEquals((long) steps * tree.levels(), decoder.counters().draftForwards(), "one draft forward per level");
        }
    }

    /**
     * Runs of the joint-law test: 10^6 for the Sequoia tree at T = 1 (the design notes' figure; about 20 s), 120,000
     * for the other three settings; {@code -Dsequoia.jointLawRuns=1000000} runs every setting at 10^6 (nightly).
     */
    private static final int JOINT_LAW_RUNS = Integer.getInteger("sequoia.jointLawRuns", 120_000);
    private static final int HEADLINE_JOINT_LAW_RUNS = Math.max(JOINT_LAW_RUNS, 1_000_000);
    /** The Markov target with its first row off by 0.02 (0.5, 0.3 -> 0.48, 0.32): a law the test must reject. */
    private static final double[][] SLIGHTLY_WRONG_TARGET = {{.48, .32, .15, .05}, {.1, .6, .2, .1}, {.25, .25, .25, .25}, {.7, .1, .1, .1}};

    /**
     * Order-1 Markov pair over 4 tokens: the first three emitted tokens must follow the target's chain law, and
     * the same counts must reject the law of a target 0.02 off in one row (the test's power).
     */
    @Test
    void jointLawOfTheFirstThreeTokensIsTheTargetsOverAWholeTree() {
        double[][] target = {{.5, .3, .15, .05}, {.1, .6, .2, .1}, {.25, .25, .25, .25}, {.7, .1, .1, .1}};
        double[][] draft = {{.1, .2, .3, .4}, {.4, .4, .1, .1}, {.05, .05, .85, .05}, {.3, .3, .2, .2}};
        Tree tree = UnboundedTreeDp.solve(AcceptanceVector.of(.6, .2, .1), 8).tree(8);
        checkJointLaw(target, draft, new StaticTreePolicy(tree), new SamplingParams(1, 1, 1), null, 1,
                HEADLINE_JOINT_LAW_RUNS);
        checkJointLaw(target, draft, new StaticTreePolicy(TreeShapes.chain(3)), new SamplingParams(0.8, 0.9, 1.3),
                null, 2, JOINT_LAW_RUNS);
        checkJointLaw(target, draft, new DynamicTreePolicy(8, 4, 3, 2), new SamplingParams(1, 1, 1), null, 3,
                JOINT_LAW_RUNS);
        checkJointLaw(target, draft, new DynamicTreePolicy(8, 4, 3, 2), new SamplingParams(1, 1, 1),
                new TopKVerifier(), 4, JOINT_LAW_RUNS);
    }

    private static void checkJointLaw(double[][] target, double[][] draft, TreePolicy policy, SamplingParams params,
                                      dev.sequoia.verify.Verifier verifier, long seed, int runs) {
        int v = target.length;
        long[] counts = new long[v * v * v];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int run = 0; run < runs; run++) {
            SyntheticModel t = SyntheticModel.markov(target);
            SyntheticModel d = SyntheticModel.markov(draft);
            SpeculativeDecoder decoder = verifier == null ? new SpeculativeDecoder(t, d, policy, params, rng)
                    : new SpeculativeDecoder(t, d, policy, verifier, params, rng);
            decoder.prefill(new int[] {0});
            List<Integer> out = new ArrayList<>();
            while (out.size() < 3) {
                for (int token : decoder.step().tokens()) {
                    out.add(token);
                }
            }
            counts[(out.get(0) * v + out.get(1)) * v + out.get(2)]++;
        }
        double pValue = ChiSquare.pValue(counts, chainLaw(target, params));
        assertTrue(pValue > 1e-3, "joint law of 3 tokens differs from the target's, seed " + seed + ", " + runs
                + " runs, p=" + pValue);
        double wrong = ChiSquare.pValue(counts, chainLaw(SLIGHTLY_WRONG_TARGET, params));
        assertTrue(wrong < 1e-3, "no power: a target 0.02 off is not rejected, seed " + seed + ", p=" + wrong);
    }

    /** P(a, b, c) = p(a | 0) p(b | a) p(c | b) of the Markov target under the sampling parameters. */
    private static double[] chainLaw(double[][] target, SamplingParams params) {
        int v = target.length;
        double[][] p = new double[v][];
        for (int a = 0; a < v; a++) {
            p[a] = params.targetDistribution(SyntheticModel.logitsOf(target[a]));
        }
        double[] law = new double[v * v * v];
        for (int a = 0; a < v; a++) {
            for (int b = 0; b < v; b++) {
                for (int c = 0; c < v; c++) {
                    law[(a * v + b) * v + c] = p[0][a] * p[a][b] * p[b][c];
                }
            }
        }
        return law;
    }

    @Test
    void greedySpeculationEqualsPlainGreedyDecoding() {
        int vocab = 16;
        List<TreePolicy> policies = List.of(
                new StaticTreePolicy(UnboundedTreeDp.solve(AcceptanceVector.of(.6, .15, .08, .04), 24).tree(24)),
                new StaticTreePolicy(TreeShapes.chain(5)),
                new DynamicTreePolicy(20, 6, 5, 3));
        for (int prompt = 0; prompt < 10; prompt++) {
            int[] promptTokens = {prompt, (prompt * 7) % vocab, 3};
            List<Integer> plain = plainGreedy(contextTarget(vocab), promptTokens, 100);
            for (TreePolicy policy : policies) {
                SyntheticModel target = contextTarget(vocab);
                SpeculativeDecoder decoder = new SpeculativeDecoder(target, contextDraft(vocab), policy,
                        SamplingParams.greedy(), new SplittableRandom(prompt));
                decoder.prefill(promptTokens);
                List<Integer> out = new ArrayList<>();
                while (out.size() < 100) {
                    for (int token : decoder.step().tokens()) {
                        out.add(token);
                    }
                }
                assertEquals(plain, out.subList(0, 100), "prompt " + prompt + ", " + policy.getClass().getSimpleName());
                assertTrue(decoder.counters().tokensPerStep() > 1.3, "the draft should often agree");
                List<Integer> committed = target.committedTokens();
                assertEquals(out.subList(0, committed.size() - 3), committed.subList(3, committed.size()),
                        "the target's KV state holds exactly the emitted tokens");
            }
        }
    }

    private static List<Integer> plainGreedy(SyntheticModel model, int[] prompt, int count) {
        List<Integer> out = new ArrayList<>();
        int[] parents = new int[prompt.length];
        int[] all = new int[prompt.length];
        for (int i = 0; i < prompt.length; i++) {
            parents[i] = i - 1;
            all[i] = i;
        }
        float[][] logits = model.forward(prompt, parents);
        model.keep(all);
        int next = Distributions.argmax(logits[prompt.length - 1]);
        while (out.size() < count) {
            out.add(next);
            next = Distributions.argmax(model.forward(new int[] {next}, new int[] {-1})[0]);
            model.keep(new int[] {0});
        }
        return out;
    }

    /** Logits chosen by a hash of the whole prefix: strongly context dependent. */
    private static SyntheticModel contextTarget(int vocab) {
        return new SyntheticModel(vocab, ctx -> table(vocab, hash(ctx), 0));
    }

    /** Agrees with the target's argmax on most contexts, disagrees on some. */
    private static SyntheticModel contextDraft(int vocab) {
        return new SyntheticModel(vocab, ctx -> {
            int h = hash(ctx);
            return Math.floorMod(h, 4) == 0 ? table(vocab, h, 1) : noisy(table(vocab, h, 0), h);
        });
    }

    private static int hash(int[] ctx) {
        int h = 17;
        for (int t : ctx) {
            h = h * 31 + t;
        }
        return h;
    }

    private static float[] table(int vocab, int h, int salt) {
        SplittableRandom r = new SplittableRandom(h * 2L + salt);
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) (r.nextGaussian() * 2);
        }
        return logits;
    }

    private static float[] noisy(float[] logits, int h) {
        SplittableRandom r = new SplittableRandom(h * 7L + 3);
        int best = Distributions.argmax(logits);
        float[] out = logits.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += (float) (r.nextGaussian() * 0.3);
        }
        out[best] += 10; // keep the argmax, perturb the rest of the ranking
        return out;
    }

    @Test
    void stepEmitsAcceptedTokensThenTheBonusAndBothModelsKeepThePath() {
        SyntheticModel target = SyntheticModel.fixed(P);
        SyntheticModel draft = SyntheticModel.fixed(Q);
        SpeculativeDecoder decoder = new SpeculativeDecoder(target, draft, new StaticTreePolicy(TreeShapes.kByL(2, 2)),
                SamplingParams.of(1, 1), new SplittableRandom(3));
        decoder.prefill(new int[] {1, 2, 3});
        assertEquals(2, target.committedLength());
        int total = 0;
        for (int i = 0; i < 50; i++) {
            StepResult r = decoder.step();
            assertEquals(r.accepted() + 1, r.tokens().length);
            total += r.tokens().length;
            assertEquals(2 + total, target.committedLength(), "committed = prompt + emitted - the held bonus + 1");
            assertEquals(target.committedLength(), draft.committedLength());
        }
        assertArrayEquals(new long[] {50, 50}, new long[] {decoder.counters().steps(),
            decoder.counters().targetForwards()});
    }
}
