package dev.sequoia.engine.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.kernel.Int8ActivationMatMul;
import dev.sequoia.engine.kernel.MatMul;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The llama.cpp-quantized fixture files (K-quant mixes, Q4_0, Q8_0, F16) run through the engine's fast path
 * give llama.cpp's own logits within llama.cpp's kernel-path noise, and the same top token wherever
 * llama.cpp's top two are further apart than that noise.
 *
 * <p>Why a tolerance and not equality: llama.cpp multiplies with quantized activations (Q8_K for K-quant
 * weights, Q8_0 for Q4_0/Q8_0, F16 for F16), the engine in fp32 with exactly decoded weights. The fixtures'
 * README measures llama.cpp's own alternative CPU paths against each other at 0.28-0.50 max |difference|
 * (rms about 0.1) on quantized files and 0.016 on F16: the bounds here are the low ends of that noise. Measured
 * (2026-12, this test's printout): max 0.13-0.22 / rms 0.033-0.052 on the quantized files (Q8_0 and Q4_0,
 * whose decoding was already proven, sit at 0.13), 0.0035 / 0.0012 on F16.
 */
class LlamaCppLogitsTest {
    /** Max |logit - llama.cpp's| allowed at every compared logit of a quantized file (see the class comment). */
    static final float QUANTIZED_NOISE = 0.28f;
    static final float F16_NOISE = 0.016f;
    /** Bound on the rms difference over all compared logits. */
    static final float RMS_NOISE = 0.1f;
    /** The int8 path on the files where it reproduces llama.cpp: fp32 summation order only (measured <= 7e-6 on logits ~10). */
    static final double EXACT_INT8_NOISE = 1e-4;
    private static final java.util.Set<String> EXACT_INT8 = java.util.Set.of("Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q4_0", "Q8_0");

    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q4_0", "Q8_0", "F16"})
    void logitsMatchLlamaCppWithinItsNoise(String label) throws Exception {
        try (VectorMatMul mm = new VectorMatMul(2)) {
            compare(label, mm, mm);
        }
    }

    /**
     * The opt-in int8-activation path (Q8_K-style activations for the K-quants, as llama.cpp's own kernels;
     * Q8_0 blocks for Q8_0), on the VNNI kernel where it loads and on its scalar twin: within the same noise.
     * Measured (2026-12, max / rms): Q2_K 4e-6 / 1e-6, Q3_K_M 7e-6, Q4_K_M 5e-6, Q5_K_M 4e-6, Q6_K 5e-6: on these
     * files the engine does llama.cpp's own arithmetic (same activation quants, same exact integer dots, the mins
     * and biases through the same per-group activation sums), so only the fp32 summation order differs, and the
     * test holds them to that. Q8_0 too (5e-6), since the activation scales are fp16 as in llama.cpp's block_q8_0
     * (with fp32 scales it was 0.11 off), and Q4_0 on the same activations (3e-6). Q5_K_M needs llama.cpp's per-block integer sums (scales and mins applied
     * to exact int32s, one fp32 step per block): with Q4_K's per-sub-block fp32 chain three positions of the
     * 5-token sequence and one of the 12-token one moved by 0.10-0.12, an activation quantized on the other side
     * of a rounding boundary.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q4_0", "Q8_0"})
    void int8ActivationLogitsMatchLlamaCppWithinItsNoise(String label) throws Exception {
        for (boolean allowNative : new boolean[] {true, false}) {
            try (VectorMatMul mm = new VectorMatMul(2); Int8ActivationMatMul int8 = new Int8ActivationMatMul(mm, allowNative)) {
                double[][] err = compare(label + (allowNative ? " int8" : " int8-twin"), mm, int8);
                for (int seq = 0; seq < err.length; seq++) {
                    for (int pos = 0; pos < err[seq].length; pos++) {
                        assertTrue(!EXACT_INT8.contains(label) || err[seq][pos] <= EXACT_INT8_NOISE, label + " int8, sequence " + seq + " pos " + pos
                                + ": max |logit - llama.cpp| " + err[seq][pos] + " > " + EXACT_INT8_NOISE
                                + " (llama.cpp's quantized-activation arithmetic, reproduced up to fp32 summation order)");
                    }
                }
            }
        }
    }

    /** The logits' max |difference| from llama.cpp's per sequence and position, for the int8 test's exact check. */
    private static double[][] compare(String label, VectorMatMul kernels, MatMul gemm) throws Exception {
        String type = label.split(" ")[0];
        JsonNode golden = new ObjectMapper().readTree(Fixtures.fixture("llamacpp/golden/" + type + ".json").toFile());
        String file = golden.get("model_file").asText();
        try (Arena arena = Arena.ofShared()) {
            Model model = ModelLoader.load(Fixtures.fixture("llamacpp/" + file), null, arena);
            float tolerance = type.equals("F16") ? F16_NOISE : QUANTIZED_NOISE;
            LlamaConfig c = model.config();
            LlamaTransformer t = LlamaTransformer.cpu(model, kernels, gemm);
            double maxErr = 0, sumSq = 0;
            long count = 0;
            JsonNode sequences = golden.get("sequences");
            double[][] perPosition = new double[sequences.size()][];
            for (int s = 0; s < sequences.size(); s++) {
                JsonNode seq = sequences.get(s);
                int[] tokens = ints(seq.get("tokens"));
                perPosition[s] = new double[tokens.length];
                float[][] logits = forward(t, tokens);
                for (JsonNode p : seq.get("positions")) {
                    int pos = p.get("pos").asInt();
                    float[] got = logits[pos];
                    JsonNode top = p.get("top20");
                    for (JsonNode e : top) {
                        double err = Math.abs(got[e.get(0).asInt()] - e.get(1).floatValue());
                        assertTrue(err <= tolerance, label + " pos " + pos + " token " + e.get(0).asInt() + ": "
                                + got[e.get(0).asInt()] + " vs llama.cpp " + e.get(1).floatValue());
                        maxErr = Math.max(maxErr, err);
                        perPosition[s][pos] = Math.max(perPosition[s][pos], err);
                        sumSq += err * err;
                        count++;
                    }
                    float gap = top.get(0).get(1).floatValue() - top.get(1).get(1).floatValue();
                    if (gap > tolerance) {
                        assertEquals(top.get(0).get(0).asInt(), argmax(got), label + " pos " + pos + ": top token");
                    }
                }
                float[] last = logits[tokens.length - 1];
                JsonNode all = seq.get("last_logits");
                assertEquals(c.vocabSize(), all.size(), label + ": last_logits size");
                for (int i = 0; i < all.size(); i++) {
                    double err = Math.abs(last[i] - all.get(i).floatValue());
                    assertTrue(err <= tolerance, label + " last position, token " + i + ": " + last[i]
                            + " vs llama.cpp " + all.get(i).floatValue());
                    maxErr = Math.max(maxErr, err);
                    perPosition[s][tokens.length - 1] = Math.max(perPosition[s][tokens.length - 1], err);
                    sumSq += err * err;
                    count++;
                }
            }
            double rms = Math.sqrt(sumSq / count);
            System.out.printf("%s: max |logit - llama.cpp| = %.6f, rms = %.6f over %d logits%n", label, maxErr, rms, count);
            assertTrue(rms <= (type.equals("F16") ? F16_NOISE : RMS_NOISE), label + ": rms difference " + rms);
            return perPosition;
        }
    }

    /** The whole sequence as one causal chain, logits for every position. */
    private static float[][] forward(LlamaTransformer t, int[] tokens) {
        KvCache cache = t.newCache(tokens.length);
        int[] parents = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) parents[i] = i - 1;
        return t.forward(cache, tokens, parents);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }
}
