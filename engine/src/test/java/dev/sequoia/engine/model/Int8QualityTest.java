package dev.sequoia.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.kernel.Int8ActivationMatMul;
import dev.sequoia.engine.kernel.MatMul;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The int8 activation path measured as it matters: the next-token distributions it gives against the fp32
 * path's, on a Q8_0 file quantized by llama.cpp (its weights are exactly what both paths multiply, so the only
 * difference is the rounding of activations to int8). The text: llama.cpp's two golden token sequences, each
 * continued by sampling from the fp32 model (its vocabulary is synthetic, so the model's own text is the
 * real text here). Bounds: mean KL(fp32 || int8) per position and top-1 agreement, with room over the measured
 * values yet violated by an activation scale 0.8% off. The same for a Q4_K_M file (Q4_K and Q6_K weights with
 * activations in int8 super-blocks of 256, as llama.cpp's q8_K).
 */
class Int8QualityTest {
    private static final int CONTINUATION = 40;
    /**
     * Q8_0: measured 4.1e-4 (native and twin alike); an activation scale of amax/128 instead of amax/127 gives 1.4e-3.
     * Q4_K_M (activations per 256-value super-block, so coarser steps where a block holds an outlier): measured
     * 9.0e-4 (native and twin alike); with an activation scale of amax/128 instead of amax/127, 1.8e-3.
     */
    private static final Map<String, Double> MAX_MEAN_KL = Map.of("Q8_0", 7e-4, "Q4_K_M", 1.3e-3);
    /** Measured 93 of 97 (Q8_0), 95 of 97 (Q4_K_M; the synthetic model has near ties); a gross error falls far below. */
    private static final double MIN_TOP1_AGREEMENT = 0.9;

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_K_M"})
    void int8NextTokenDistributionsStayWithinKlAndTop1BoundsOfFp32(String label) throws IOException {
        double maxMeanKl = MAX_MEAN_KL.get(label);
        try (Arena arena = Arena.ofShared(); VectorMatMul fp32 = new VectorMatMul(2)) {
            Model m = ModelLoader.load(Fixtures.fixture("llamacpp/kquant-tiny-s11-" + label + ".gguf"), null, arena);
            LlamaTransformer reference = LlamaTransformer.cpu(m, fp32);
            List<int[]> texts = new ArrayList<>();
            long seed = 5;
            for (int[] golden : goldenSequences(label)) texts.add(continueBySampling(reference, golden, CONTINUATION, seed++));
            List<String> failures = new ArrayList<>();
            for (boolean allowNative : new boolean[] {true, false}) {
                try (Int8ActivationMatMul int8 = new Int8ActivationMatMul(fp32, allowNative)) {
                    Quality q = compare(reference, LlamaTransformer.cpu(m, fp32, int8), texts);
                    String what = label + " " + int8.kernelFor(m.weights().layers().get(0).wq()) + ": mean KL " + q.meanKl + " nats, max KL "
                            + q.maxKl + ", top-1 agreement " + q.agreed + "/" + q.positions;
                    System.out.println("int8 quality, " + what);
                    // NaN-safe: a NaN KL is not <= the bound
                    if (!(q.meanKl <= maxMeanKl) || q.agreed < MIN_TOP1_AGREEMENT * q.positions) failures.add(what);
                    if (!(q.meanKl > 0)) failures.add("int8 equals fp32 everywhere, the comparison is vacuous: " + what);
                }
            }
            assertTrue(failures.isEmpty(), "bounds: mean KL <= " + maxMeanKl + ", top-1 agreement >= "
                    + MIN_TOP1_AGREEMENT + "; " + String.join("; ", failures));
        }
    }

    record Quality(int positions, int agreed, double meanKl, double maxKl) {}

    private static Quality compare(LlamaTransformer fp32, LlamaTransformer int8, List<int[]> texts) {
        int positions = 0, agreed = 0;
        double sumKl = 0, maxKl = 0;
        for (int[] text : texts) {
            float[][] p = chainLogits(fp32, text), q = chainLogits(int8, text);
            for (int t = 0; t < text.length; t++) {
                double kl = klDivergence(p[t], q[t]);
                sumKl += kl;
                maxKl = Math.max(maxKl, kl);
                if (argmax(p[t]) == argmax(q[t])) agreed++;
                positions++;
            }
        }
        return new Quality(positions, agreed, sumKl / positions, maxKl);
    }

    /** KL(softmax(a) || softmax(b)) in nats, in double precision. */
    static double klDivergence(float[] a, float[] b) {
        double[] la = logSoftmax(a), lb = logSoftmax(b);
        double kl = 0;
        for (int i = 0; i < a.length; i++) kl += Math.exp(la[i]) * (la[i] - lb[i]);
        return kl;
    }

    private static double[] logSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : x) max = Math.max(max, v);
        for (float v : x) sum += Math.exp(v - max);
        double log = max + Math.log(sum);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - log;
        return out;
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /** Logits at every position of {@code tokens} fed as one causal chain. */
    private static float[][] chainLogits(LlamaTransformer t, int[] tokens) {
        KvCache cache = t.newCache(tokens.length);
        int[] parents = new int[tokens.length];
        for (int i = 0; i < parents.length; i++) parents[i] = i - 1;
        return t.forward(cache, tokens, parents);
    }

    /** {@code prefix} followed by {@code n} tokens sampled (seeded) from the model's own distributions. */
    private static int[] continueBySampling(LlamaTransformer t, int[] prefix, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] text = java.util.Arrays.copyOf(prefix, prefix.length + n);
        for (int len = prefix.length; len < text.length; len++) {
            float[][] logits = chainLogits(t, java.util.Arrays.copyOf(text, len));
            double[] logp = logSoftmax(logits[len - 1]);
            double u = rnd.nextDouble(), acc = 0;
            int pick = logp.length - 1;
            for (int i = 0; i < logp.length; i++) {
                acc += Math.exp(logp[i]);
                if (u < acc) {
                    pick = i;
                    break;
                }
            }
            text[len] = pick;
        }
        return text;
    }

    private static List<int[]> goldenSequences(String label) throws IOException {
        JsonNode golden = new ObjectMapper().readTree(Fixtures.fixture("llamacpp/golden/" + label + ".json").toFile());
        List<int[]> out = new ArrayList<>();
        for (JsonNode s : golden.get("sequences")) {
            int[] tokens = new int[s.get("tokens").size()];
            for (int i = 0; i < tokens.length; i++) tokens[i] = s.get("tokens").get(i).asInt();
            out.add(tokens);
        }
        return out;
    }
}
