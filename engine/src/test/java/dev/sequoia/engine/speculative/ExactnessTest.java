package dev.sequoia.engine.speculative;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.Generation;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.testing.SharedModels;
import dev.sequoia.sample.Distributions;
import dev.sequoia.tree.AcceptanceVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Speculative sampling is exact on the real pair (stories260K and its distilled draft): through the
 * sessions API, the first and the second generated token follow the target's own law, for a Sequoia tree
 * and a 4x2 tree at temperatures 1 and 0.6 (top-p 1).
 *
 * <p>The exact laws come from the target alone, computed here with the scalar kernels: the first token
 * follows P = softmax(logits after the prompt / T); the second follows sum_x P(x) P(. | x), one target
 * forward per vocabulary entry x, plus one cell "ended" for the mass of stop tokens x (BOS and EOS for a
 * llama2.c checkpoint), after which nothing more is generated. Pearson's chi-square with cells of expected
 * count below 5 merged; a threshold of 1e-4 keeps the test from being flaky, and
 * {@link #theSameTestRejectsWrongSamplers} shows that it has the power to see a wrong sampler.
 */
class ExactnessTest {
    /** A prompt after which the target is uncertain and the draft often wrong (TV distance ~0.5 at T = 1). */
    private static final String PROMPT = "The little dog";
    private static final int SAMPLES = 4000;
    private static final double ALPHA = 1e-4;
    /** Generations started before waiting for them, so the engine thread always has work queued. */
    private static final int IN_FLIGHT = 64;
    /** The published per-rank acceptance m_k of the draft (../shared/models/README.md) for T = 1 and 0.6. */
    private static final Map<Double, AcceptanceVector> PUBLISHED = Map.of(
            1.0, AcceptanceVector.of(.6504, .1137, .0547, .0340, .0232, .0174, .0134, .0107),
            0.6, AcceptanceVector.of(.7173, .1027, .0478, .0293, .0197, .0139, .0107, .0084));

    private static Model target;
    private static Model draft;
    private static LlamaTransformer scalarTarget;
    private static LlamaTransformer scalarDraft;
    private static Engine loader;
    private static int[] promptTokens;
    private static int[] stopTokens;
    private static final Map<String, Laws> laws = new HashMap<>();

    @BeforeAll
    static void load() {
        loader = Engine.open(speculative("4x2"));
        target = loader.target();
        draft = loader.draft();
        scalarTarget = new LlamaTransformer(target, new ScalarMatMul());
        scalarDraft = new LlamaTransformer(draft, new ScalarMatMul());
        promptTokens = loader.tokenizer().encode(PROMPT, true, false);
        stopTokens = new int[]{loader.tokenizer().bos(), loader.tokenizer().eos()}; // llama2.c: BOS ends a story
    }

    @AfterAll
    static void close() {
        if (loader != null) loader.close();
    }

    @ParameterizedTest(name = "{0} at T = {1}")
    @CsvSource({"sequoia:16, 1.0", "sequoia:16, 0.6", "4x2, 1.0", "4x2, 0.6"})
    void firstAndSecondTokensFollowTheTargetsLaw(String tree, double temperature) {
        Laws exact = laws(scalarTarget, temperature);
        Counts counts;
        try (Engine engine = open(tree, temperature)) {
            counts = sampleSpeculatively(engine, temperature, new SplittableRandom(tree.hashCode() * 31L + 7));
        }
        double first = ChiSquare.pValue(counts.first(), exact.first());
        double second = ChiSquare.pValue(counts.second(), exact.second());
        assertTrue(first > ALPHA, tree + " at T = " + temperature + ": first token p-value " + first);
        assertTrue(second > ALPHA, tree + " at T = " + temperature + ": second token p-value " + second);
    }

    /** Power: the same counts and threshold reject draws from the draft's law or from the target at 1.2 T. */
    @ParameterizedTest(name = "T = {0}")
    @ValueSource(doubles = {1.0, 0.6})
    void theSameTestRejectsWrongSamplers(double temperature) {
        Laws exact = laws(scalarTarget, temperature);
        List<Laws> wrong = List.of(laws(scalarDraft, temperature), laws(scalarTarget, 1.2 * temperature));
        SplittableRandom random = new SplittableRandom(42);
        for (Laws w : wrong) {
            Counts counts = w.draw(SAMPLES, random);
            assertTrue(ChiSquare.pValue(counts.first(), exact.first()) < ALPHA, "first token: not rejected");
            assertTrue(ChiSquare.pValue(counts.second(), exact.second()) < ALPHA, "second token: not rejected");
        }
        Counts right = exact.draw(SAMPLES, random);
        assertTrue(ChiSquare.pValue(right.first(), exact.first()) > ALPHA);
        assertTrue(ChiSquare.pValue(right.second(), exact.second()) > ALPHA);
    }

    @Test
    void chiSquarePValuesMatchTheTables() {
        // upper 5% and 0.01% points of chi-square with 1, 10 and 30 degrees of freedom
        assertEquals(0.05, ChiSquare.upperTail(1, 3.841459), 1e-6);
        assertEquals(0.05, ChiSquare.upperTail(10, 18.307038), 1e-6);
        assertEquals(1e-4, ChiSquare.upperTail(10, 35.564), 1e-7);
        assertEquals(0.05, ChiSquare.upperTail(30, 43.772972), 1e-6);
        assertEquals(1.0, ChiSquare.upperTail(4, 0), 0);
    }

    @Test
    void smallCellsAreMerged() {
        // 1000 draws: cells 2..4 expect 2, 2 and 1, pooled into one cell expecting 5 (7 observed)
        double[] p = {0.6, 0.395, 0.002, 0.002, 0.001};
        long[] observed = {600, 393, 3, 2, 2};
        double merged = ChiSquare.pValue(observed, p);
        double byHand = ChiSquare.upperTail(2, 4.0 / 395 + 4.0 / 5);
        assertEquals(byHand, merged, 1e-12);
    }

    // ---- sampling through the sessions API

    private static EngineConfig speculative(String tree) {
        ModelSpec t = new ModelSpec(SharedModels.target(), SharedModels.tokenizer());
        ModelSpec d = new ModelSpec(SharedModels.draft(), SharedModels.tokenizer());
        return EngineConfig.of(t).withDraft(d, tree.startsWith("sequoia:") ? "auto" : tree).withThreads(2)
                .withPrefixCacheBytes(1L << 20);
    }

    /** {@code sequoia:N}: the DP's best tree of N nodes over the published vector for that temperature. */
    private static Engine open(String tree, double temperature) {
        if (!tree.startsWith("sequoia:")) return Engine.open(speculative(tree));
        int n = Integer.parseInt(tree.substring("sequoia:".length()));
        TreeSpec spec = AutoTree.fixedSize(PUBLISHED.get(temperature), n, 0);
        assertEquals(n, spec.maxSize());
        return Engine.open(speculative(tree), TreeProvider.fixed(spec));
    }

    /** SAMPLES generations of two tokens, each in a fresh session with its own seed. */
    private static Counts sampleSpeculatively(Engine engine, double temperature, SplittableRandom seeds) {
        int vocab = target.config().vocabSize();
        Counts counts = new Counts(new long[vocab], new long[vocab + 1]);
        for (int done = 0; done < SAMPLES; done += IN_FLIGHT) {
            List<Session> sessions = new ArrayList<>();
            List<Generation> running = new ArrayList<>();
            for (int i = done; i < Math.min(SAMPLES, done + IN_FLIGHT); i++) {
                Session s = engine.openSession();
                sessions.add(s);
                SamplingParams sampling = new SamplingParams(temperature, 0, 1, seeds.nextLong());
                running.add(s.generate(new GenerateRequest(PROMPT, 2, sampling, List.of(), 0), null));
            }
            for (Generation g : running) counts.add(g.await().tokens(), vocab);
            sessions.forEach(Session::close);
        }
        return counts;
    }

    // ---- exact laws

    private static Laws laws(LlamaTransformer model, double temperature) {
        String key = (model == scalarTarget ? "target" : "draft") + "@" + temperature;
        return laws.computeIfAbsent(key, k -> Laws.of(model, promptTokens, temperature, stopTokens));
    }

    /**
     * A model's exact laws of the first generated token (vocab cells) and of the second (vocab cells plus
     * one "ended" cell, the mass of stop tokens as first token).
     */
    record Laws(double[] first, double[] second) {
        static Laws of(LlamaTransformer model, int[] prompt, double temperature, int[] stops) {
            int vocab = model.config().vocabSize();
            KvCache cache = model.newCache(prompt.length + 1);
            int[] parents = new int[prompt.length];
            int[] path = new int[prompt.length];
            for (int i = 0; i < prompt.length; i++) {
                parents[i] = i - 1;
                path[i] = i;
            }
            float[][] logits = model.forward(cache, prompt, parents); // (prompt, vocab)
            cache.keep(path);
            double[] first = Distributions.softmax(logits[prompt.length - 1], temperature);
            double[] second = new double[vocab + 1];
            for (int x = 0; x < vocab; x++) {
                if (isStop(x, stops)) {
                    second[vocab] += first[x];
                    continue;
                }
                double[] next = Distributions.softmax(model.forward(cache, new int[]{x}, new int[]{-1})[0], temperature);
                cache.truncate(prompt.length); // drop x again
                for (int y = 0; y < vocab; y++) second[y] += first[x] * next[y];
            }
            return new Laws(first, second);
        }

        /** n independent draws of (first, second) from these laws, as a sampler that is exact for them. */
        Counts draw(int n, SplittableRandom random) {
            int vocab = first.length;
            Counts c = new Counts(new long[vocab], new long[vocab + 1]);
            for (int i = 0; i < n; i++) {
                c.first()[pick(first, random)]++;
                c.second()[pick(second, random)]++;
            }
            return c;
        }

        private static int pick(double[] p, SplittableRandom random) {
            double u = random.nextDouble(), acc = 0;
            for (int i = 0; i < p.length; i++) {
                acc += p[i];
                if (u < acc) return i;
            }
            return p.length - 1;
        }
    }

    private static boolean isStop(int token, int[] stops) {
        for (int s : stops) if (s == token) return true;
        return false;
    }

    /** Observed first tokens (vocab cells) and second tokens (vocab cells plus "ended"). */
    record Counts(long[] first, long[] second) {
        void add(int[] tokens, int vocab) {
            assertTrue(tokens.length >= 1, "a generation produced no token");
            first[tokens[0]]++;
            second[tokens.length > 1 ? tokens[1] : vocab]++;
            if (tokens.length == 1) assertTrue(isStop(tokens[0], stopTokens), "one token, not a stop token");
        }
    }

    /**
     * Pearson's chi-square goodness of fit. Cells whose expected count is below 5 are pooled into one
     * (joined with the smallest other cell while the pool is still below 5); the p-value is the regularized
     * upper incomplete gamma Q(dof/2, x/2), by its series below a + 1 and its continued fraction above.
     */
    static final class ChiSquare {
        private static final double MIN_EXPECTED = 5;

        private ChiSquare() {}

        /** p-value of the observed counts against the cell probabilities p (which sum to 1). */
        static double pValue(long[] observed, double[] p) {
            long n = Arrays.stream(observed).sum();
            Integer[] order = new Integer[p.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Double.compare(p[a], p[b])); // ascending expected count
            for (int i = 0; i < p.length; i++) if (p[i] == 0 && observed[i] > 0) return 0; // impossible token
            double pooledExpected = 0;
            long pooledObserved = 0;
            int next = 0;
            while (next < order.length - 1
                    && (n * p[order[next]] < MIN_EXPECTED || (next > 0 && n * pooledExpected < MIN_EXPECTED))) {
                pooledExpected += p[order[next]];
                pooledObserved += observed[order[next]];
                next++;
            }
            double stat = 0;
            int cells = 0;
            if (next > 0) {
                stat += square(pooledObserved - n * pooledExpected) / (n * pooledExpected);
                cells++;
            }
            for (int r = next; r < order.length; r++) {
                double e = n * p[order[r]];
                stat += square(observed[order[r]] - e) / e;
                cells++;
            }
            return upperTail(cells - 1, stat);
        }

        /** P(chi-square with {@code dof} degrees of freedom > x). */
        static double upperTail(int dof, double x) {
            if (x <= 0) return 1;
            double a = dof / 2.0, h = x / 2;
            double logPrefix = -h + a * Math.log(h) - logGamma(a);
            return h < a + 1 ? 1 - Math.exp(logPrefix) * lowerSeries(a, h) : Math.exp(logPrefix) * upperFraction(a, h);
        }

        /** sum_n h^n / (a (a+1) ... (a+n)): the lower incomplete gamma without its prefix. */
        private static double lowerSeries(double a, double h) {
            double term = 1 / a, sum = term;
            for (int n = 1; n < 100_000 && term > sum * 1e-16; n++) {
                term *= h / (a + n);
                sum += term;
            }
            return sum;
        }

        /** The continued fraction of the upper incomplete gamma (modified Lentz), without its prefix. */
        private static double upperFraction(double a, double h) {
            double tiny = 1e-300, b = h + 1 - a, c = 1 / tiny, d = 1 / b, f = d;
            for (int i = 1; i < 100_000; i++) {
                double an = -i * (i - a);
                b += 2;
                d = an * d + b;
                d = Math.abs(d) < tiny ? tiny : d;
                c = b + an / c;
                c = Math.abs(c) < tiny ? tiny : c;
                d = 1 / d;
                double delta = d * c;
                f *= delta;
                if (Math.abs(delta - 1) < 1e-16) break;
            }
            return f;
        }

        /** ln Gamma(a) for a > 0: Lanczos (g = 7, 9 coefficients), ~1e-15 relative. */
        private static double logGamma(double a) {
            double[] c = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
                    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
                    1.5056327351493116e-7};
            if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - logGamma(1 - a);
            a -= 1;
            double x = c[0];
            for (int i = 1; i < c.length; i++) x += c[i] / (a + i);
            double t = a + 7.5;
            return 0.5 * Math.log(2 * Math.PI) + (a + 0.5) * Math.log(t) - t + Math.log(x);
        }

        private static double square(double v) { return v * v; }
    }
}
