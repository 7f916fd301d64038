package dev.sequoia.engine.format.synthetic;

import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.WeightsAssert;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generator's two formats load back to the same model: same weights, same tokenizer, same logits. */
class SyntheticModelsTest {
    private static final long SEED = 42;
    private static final int[] PROMPT = {1, 300, 301, 317, 5, 290, 310};

    @TempDir
    Path dir;

    private Path gguf(TensorType type) throws IOException {
        Path p = dir.resolve("m-" + type + ".gguf");
        SyntheticModels.ofPreset("tiny-test", type, SEED).writeGguf(p);
        return p;
    }

    private Path hf(TensorType type) throws IOException {
        Path p = dir.resolve("hf-" + type);
        SyntheticModels.ofPreset("tiny-test", type, SEED).writeSafetensors(p);
        return p;
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "F16", "BF16"})
    void safetensorsHoldsTheGgufWeightsWithQkRowsPermuted(TensorType type) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Model g = ModelLoader.load(gguf(type), null, arena);
            Model h = ModelLoader.load(hf(type), null, arena);
            assertEquals(RopeLayout.INTERLEAVED, g.config().ropeLayout());
            assertEquals(g.config().withRopeLayout(RopeLayout.HALVES), h.config());
            WeightsAssert.assertSameMatrix(g.weights().tokenEmbedding(), h.weights().tokenEmbedding());
            WeightsAssert.assertSameMatrix(g.weights().classifier(), h.weights().classifier());
            assertArrayEquals(g.weights().finalNorm(), h.weights().finalNorm());
            int headDim = g.config().headDim();
            for (int l = 0; l < g.config().layers(); l++) {
                LayerWeights a = g.weights().layers().get(l), b = h.weights().layers().get(l);
                assertPermuted(a.wq(), b.wq(), headDim);
                assertPermuted(a.wk(), b.wk(), headDim);
                WeightsAssert.assertSameMatrix(a.wv(), b.wv());
                WeightsAssert.assertSameMatrix(a.wo(), b.wo());
                WeightsAssert.assertSameMatrix(a.w1(), b.w1());
                WeightsAssert.assertSameMatrix(a.w2(), b.w2());
                WeightsAssert.assertSameMatrix(a.w3(), b.w3());
                assertArrayEquals(a.attnNorm(), b.attnNorm());
                assertArrayEquals(a.ffnNorm(), b.ffnNorm());
            }
        }
    }

    private static void assertPermuted(WeightMatrix interleaved, WeightMatrix halves, int headDim) {
        for (int r = 0; r < halves.rows(); r++) {
            assertArrayEquals(WeightsAssert.row(interleaved, SyntheticWeights.interleavedRow(r, headDim)),
                    WeightsAssert.row(halves, r), halves.name() + " row " + r);
        }
    }

    @Test
    void qkPermutationIsABijectionPairingEachRotaryPair() {
        int headDim = 8;
        int[] seen = new int[2 * headDim];
        for (int r = 0; r < 2 * headDim; r++) seen[SyntheticWeights.interleavedRow(r, headDim)]++;
        assertTrue(Arrays.stream(seen).allMatch(c -> c == 1), "every interleaved row used once");
        // HF pair (i, i + 4) of head 1 holds interleaved pair (2i, 2i + 1) of head 1
        assertEquals(8 + 2 * 3, SyntheticWeights.interleavedRow(8 + 3, headDim));
        assertEquals(8 + 2 * 3 + 1, SyntheticWeights.interleavedRow(8 + 3 + 4, headDim));
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F32", "BF16"})
    void bothFormatsGiveTheSameLogits(TensorType type) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            float[][] a = logits(ModelLoader.load(gguf(type), null, arena));
            float[][] b = logits(ModelLoader.load(hf(type), null, arena));
            for (int t = 0; t < a.length; t++) {
                for (int v = 0; v < a[t].length; v++) {
                    assertEquals(a[t][v], b[t][v], 1e-4 * Math.max(1, Math.abs(a[t][v])), "token " + t + " logit " + v);
                }
            }
        }
    }

    @Test
    void logitsAreFarFromTies() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            for (float[] row : logits(ModelLoader.load(gguf(TensorType.F32), null, arena))) {
                float[] sorted = row.clone();
                Arrays.sort(sorted);
                float spread = sorted[sorted.length - 1] - sorted[0];
                assertTrue(spread > 5, "logits spread " + spread);
                assertTrue(sorted[sorted.length - 1] - sorted[sorted.length - 2] > 1e-3,
                        "top two logits nearly tie: " + sorted[sorted.length - 1] + " " + sorted[sorted.length - 2]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q8_0", "Q4_0"})
    void quantizedGgufIsTheF32ModelWithinQuantizationError(TensorType type) throws IOException {
        double tolerance = type == TensorType.Q8_0 ? 0.01 : 0.2; // relative to each row's largest magnitude
        try (Arena arena = Arena.ofConfined()) {
            Model exact = ModelLoader.load(gguf(TensorType.F32), null, arena);
            Model q = ModelLoader.load(gguf(type), null, arena);
            assertEquals(type, q.weights().layers().get(0).w2().type());
            assertEquals(TensorType.F32, exact.weights().layers().get(0).w2().type());
            assertArrayEquals(exact.weights().finalNorm(), q.weights().finalNorm(), "norms stay F32");
            assertClose(exact.weights().layers().get(1).w2(), q.weights().layers().get(1).w2(), tolerance);
            assertClose(exact.weights().tokenEmbedding(), q.weights().tokenEmbedding(), tolerance);
        }
    }

    private static void assertClose(WeightMatrix exact, WeightMatrix q, double relTolerance) {
        for (int r = 0; r < exact.rows(); r++) {
            float[] a = WeightsAssert.row(exact, r), b = WeightsAssert.row(q, r);
            float amax = 0;
            for (float v : a) amax = Math.max(amax, Math.abs(v));
            for (int c = 0; c < a.length; c++) {
                assertEquals(a[c], b[c], relTolerance * amax, q.name() + " [" + r + "," + c + "]");
            }
        }
    }

    @Test
    void bothFormatsCarryTheSameTokenizer() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            var g = ModelLoader.load(gguf(TensorType.F32), null, arena).tokenizer();
            var h = ModelLoader.load(hf(TensorType.F32), null, arena).tokenizer();
            assertEquals(g.vocabSize(), h.vocabSize());
            for (String s : new String[]{"the cat sat on the mat", "Hello, World! 123", "naïve 你好", ""}) {
                int[] ids = g.encode(s, true, false);
                assertArrayEquals(ids, h.encode(s, true, false), s);
                assertEquals(g.decodeAll(1, Arrays.copyOfRange(ids, 1, ids.length)), s, "round trip of " + s);
            }
        }
    }

    @Test
    void theSameSeedWritesTheSameBytesAndAnotherSeedOthers() throws IOException {
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf"), c = dir.resolve("c.gguf");
        SyntheticModels.ofPreset("tiny-test", TensorType.Q8_0, 7).writeGguf(a);
        SyntheticModels.ofPreset("tiny-test", TensorType.Q8_0, 7).writeGguf(b);
        SyntheticModels.ofPreset("tiny-test", TensorType.Q8_0, 8).writeGguf(c);
        assertEquals(-1, Files.mismatch(a, b));
        assertFalse(Files.mismatch(a, c) == -1);
    }

    private static float[][] logits(Model m) {
        LlamaTransformer t = new LlamaTransformer(m, new ScalarMatMul());
        int[] parents = new int[PROMPT.length];
        for (int i = 0; i < parents.length; i++) parents[i] = i - 1;
        return t.forward(t.newCache(32), PROMPT, parents);
    }
}
