package dev.sequoia.engine.format.synthetic;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.backend.offload.ModelExtents;
import dev.sequoia.engine.backend.offload.StreamedLayerSource;
import dev.sequoia.engine.format.FileType;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.gguf.GgufFile;
import dev.sequoia.engine.format.gguf.GgufReader;
import dev.sequoia.engine.format.gguf.GgufWriter;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.sampling.Sampler;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.engine.testing.Golden;
import dev.sequoia.offload.plan.PlanInputs;
import dev.sequoia.offload.plan.PlanOverrides;
import dev.sequoia.offload.plan.ResidencyPlanner;
import dev.sequoia.offload.tier.DiskTier;
import dev.sequoia.offload.tier.MemoryLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Planted models compute the small real model's function (stories260K: dim 64, 8 query heads over 4 kv heads
 * of size 8, hidden 172, 5 layers) in larger shapes, with every other residual coordinate exactly zero.
 */
class PlantedModelsTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378}; // BOS "Once upon a time"
    private static final ScalarMatMul SCALAR = new ScalarMatMul();

    @TempDir
    Path dir;

    /** Small custom shapes: same head size, a larger head size, multi-head (kv groups of 1), wide groups. */
    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of("gqa-128-h8", shape(128, 256, 6, 16, 8)),
                Arguments.of("gqa-256-h32", shape(256, 320, 7, 8, 4)),
                Arguments.of("mha-256-h16", shape(256, 256, 5, 16, 16)),
                Arguments.of("gqa-512-h32-g4", shape(512, 384, 6, 16, 4)));
    }

    private static LlamaConfig shape(int dim, int hidden, int layers, int heads, int kvHeads) {
        return new LlamaConfig(dim, hidden, layers, heads, kvHeads, 32000, 2048, 1e-5f, 500000f, dim / heads,
                RopeLayout.INTERLEAVED, null);
    }

    private Path plant(Model small, LlamaConfig shape, TensorType type, String name) throws IOException {
        Path out = dir.resolve(name + "-" + type + ".gguf");
        new PlantedModels(shape, small, type, 7).writeGguf(out, bytes -> {});
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void plantedF32GivesTheSmallModelsLogitsResidentAndStreamed(String name, LlamaConfig shape) throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Model small = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            Model planted = ModelLoader.load(plant(small, shape, TensorType.F32, name), null, arena);
            assertEquals(shape.dim(), planted.config().dim());
            assertEquals(512, planted.config().vocabSize());
            float[][][] expected = decode(new LlamaTransformer(small, SCALAR), LayerSource.resident(small.weights()));
            LlamaTransformer target = new LlamaTransformer(planted, SCALAR);
            assertClose(expected, decode(target, LayerSource.resident(planted.weights())), name + " resident");
            ModelExtents extents = ModelExtents.of(planted);
            DiskTier tier = DiskTier.open(extents.file(), extents.layers(), 2, 64 * 1024);
            var plan = ResidencyPlanner.plan(new PlanInputs(1L << 30, 0, tier.slotBytesPerLayer(), 1e9, 1e6),
                    new PlanOverrides(new TreeSet<>(List.of(1)), 2));
            try (StreamedLayerSource streamed = new StreamedLayerSource(planted.weights(), tier, plan, new MemoryLedger())) {
                assertClose(expected, decode(target, streamed), name + " streamed");
                assertEquals(shape.layers() - 1, streamed.lastPass().layersStreamed());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TensorType.class, names = {"F32", "Q8_0", "Q4_0", "Q4_K", "Q2_K", "Q6_K"})
    void nonFunctionalCoordinatesAreExactlyZeroAfterEveryLayer(TensorType type) throws IOException {
        // K-quant rows are whole 256-value super-blocks: a hidden width of 512 for them
        LlamaConfig shape = shape(256, type.name().endsWith("_K") ? 512 : 320, 7, 8, 4);
        try (Arena arena = Arena.ofShared()) {
            Model small = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            Model planted = ModelLoader.load(plant(small, shape, type, "zeros"), null, arena);
            for (int layers = 1; layers <= shape.layers(); layers++) {
                float[][] residual = residualAfter(planted, layers, arena);
                for (int t = 0; t < residual.length; t++) {
                    boolean functional = false;
                    for (int i = 0; i < shape.dim(); i++) {
                        if (i >= 64 && residual[t][i] != 0f) {
                            fail(type + ": coordinate " + i + " of token " + t + " after " + layers + " layers is " + residual[t][i]);
                        }
                        functional |= i < 64 && residual[t][i] != 0f;
                    }
                    assertTrue(functional, "the small model's coordinates carry the residual stream");
                }
            }
        }
    }

    /**
     * Q8_0 and 16-bit planted weights keep the small model's greedy tokens. (Q4_0 does not: 4-bit weights move a
     * 260K-parameter model's logits enough to change the 24th greedy token of the first golden prompt; its
     * zeros stay exact, which {@link #nonFunctionalCoordinatesAreExactlyZeroAfterEveryLayer} checks.)
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TensorType.class, names = {"Q8_0", "F16", "BF16"})
    void quantizedPlantedModelGivesTheSmallModelsGreedyTokens(TensorType type) throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Model small = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            Model planted = ModelLoader.load(plant(small, shape(256, 320, 6, 8, 4), type, "greedy"), null, arena);
            LlamaTransformer transformer = new LlamaTransformer(planted, SCALAR);
            for (Golden.Case c : Golden.cases(Fixtures.targetGolden())) {
                assertArrayEquals(c.promptTokens(), planted.tokenizer().encode(c.prompt(), true, false), "the tokenizer travels");
                KvCache cache = transformer.newCache(512);
                float[] logits = feed(transformer, cache, c.promptTokens());
                int[] greedy = new int[c.greedyTokens().length];
                for (int i = 0; i < greedy.length; i++) {
                    greedy[i] = Sampler.argmax(logits);
                    logits = feed(transformer, cache, new int[]{greedy[i]});
                }
                assertArrayEquals(c.greedyTokens(), greedy, type + " greedy continuation of '" + c.prompt() + "'");
            }
        }
    }

    /**
     * A planted K-quant target is a mix as llama.cpp writes it (Q4_K_M: Q4_K with Q6_K for the output and some
     * attn_v / ffn_down layers), like the synthetic models whose per-tensor types SyntheticKQuantTest holds to
     * llama.cpp's own files; and its planted zeros stay exact through every type of the mix.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = FileType.class, names = {"Q4_K_M", "Q3_K_M", "Q2_K", "Q4_0"})
    void plantedMixesChooseLlamaCppsTensorTypes(FileType type) throws Exception {
        LlamaConfig shape = shape(256, 512, 8, 8, 4);
        Path planted = dir.resolve("mix-" + type + ".gguf"), synthetic = dir.resolve("synthetic-" + type + ".gguf");
        try (Arena arena = Arena.ofShared()) {
            Model small = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            new PlantedModels(shape, small, type, 7).writeGguf(planted, bytes -> {});
            new SyntheticModels(shape, type, 7).writeGguf(synthetic);
            GgufFile mine = GgufReader.read(planted, SyntheticKQuantTest.map(planted, arena));
            GgufFile reference = GgufReader.read(synthetic, SyntheticKQuantTest.map(synthetic, arena));
            assertEquals(SyntheticKQuantTest.types(reference), SyntheticKQuantTest.types(mine), type + ": per-tensor types");
            assertEquals(type.llamaFtype(), ((Number) mine.metadata().asMap().get(GgufWriter.FILE_TYPE)).intValue(),
                    type + ": general.file_type");
            long kinds = SyntheticKQuantTest.types(mine).values().stream().distinct().count();
            assertTrue(kinds >= 3, type + ": a mix of quantized types besides the F32 norms, got " + SyntheticKQuantTest.types(mine));
            Model model = ModelLoader.load(planted, null, arena);
            for (int layers = 1; layers <= shape.layers(); layers += 7) {
                float[][] residual = residualAfter(model, layers, arena);
                for (float[] token : residual) {
                    for (int i = 64; i < shape.dim(); i++) assertEquals(0f, token[i], type + ": coordinate " + i);
                }
            }
        }
    }

    @Test
    void sequoiaOnAPlantedTargetEqualsPlainDecodingAndAcceptsAsTheSmallTarget() throws IOException {
        Path planted;
        try (Arena arena = Arena.ofShared()) {
            planted = plant(ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena), shape(256, 512, 6, 8, 4),
                    TensorType.Q8_0, "engine");
        }
        ModelSpec draft = Fixtures.draftSpec();
        List<Double> onPlanted = new ArrayList<>(), onSmall = new ArrayList<>();
        for (String prompt : List.of("Once upon a time", "The little dog", "Lily and Tom went to the park",
                "One day, a boy", "She said", "It was a sunny day")) {
            GenerateRequest request = GenerateRequest.greedy(prompt, 48);
            GenerationResult plain = generate(EngineConfig.builder(ModelSpec.of(planted)).threads(2), request);
            GenerationResult sequoia = generate(EngineConfig.builder(ModelSpec.of(planted)).threads(2)
                    .draft(draft).tree("4x4"), request);
            assertArrayEquals(plain.tokens(), sequoia.tokens(), "greedy Sequoia output equals plain output: " + prompt);
            onPlanted.add(sequoia.stats().tokensPerStep());
            onSmall.add(generate(EngineConfig.builder(Fixtures.targetSpec()).threads(2)
                    .draft(draft).tree("4x4"), request).stats().tokensPerStep());
        }
        double difference = mean(onPlanted) - mean(onSmall);
        double se = Math.sqrt(variance(onPlanted) / onPlanted.size() + variance(onSmall) / onSmall.size());
        assertTrue(mean(onPlanted) > 1.5, "the real draft agrees with the planted target: " + onPlanted);
        assertFalse(!(Math.abs(difference) <= 3 * se + 1e-9),
                "tokens per step " + onPlanted + " vs the small target's " + onSmall);
    }

    @Test
    void aSmallModelLargerThanTheShapeIsRefusedNamingTheDimension() {
        try (Arena arena = Arena.ofShared()) {
            Model small = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            assertRefused(small, shape(32, 256, 6, 4, 4), "dim 64 is larger than the shape's 32");
            assertRefused(small, shape(128, 128, 6, 16, 8), "hidden_dim 172 is larger than the shape's 128");
            assertRefused(small, shape(128, 256, 4, 16, 8), "layers 5 is larger than the shape's 4");
            assertRefused(small, shape(128, 256, 6, 4, 4), "heads 8 is larger than the shape's 4");
            assertRefused(small, shape(192, 256, 6, 16, 16), "head size 12 is not a multiple of the small model's head size 8");
            assertRefused(small, shape(512, 256, 6, 16, 2), "need 4 kv heads of the shape");
        }
    }

    @Test
    void aModelWithoutItsTokenizerIsRefused() {
        try (Arena arena = Arena.ofShared()) {
            Model small = ModelLoader.load(Fixtures.target(), null, arena);
            assertRefused(small, shape(128, 256, 6, 16, 8), "has no tokenizer");
        }
    }

    @Test
    void notEnoughDiskIsRefusedBeforeWriting() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> PlantedModels.requireSpace(Path.of("/x/big.gguf"), 7_000_000_000L, 1_000_000_000L));
        assertTrue(e.getMessage().contains("not enough disk for /x/big.gguf: the planted model needs 7.00 GB, 1.00 GB are free"),
                e.getMessage());
    }

    private void assertRefused(Model small, LlamaConfig shape, String message) {
        Path out = dir.resolve("refused.gguf");
        var e = assertThrows(IllegalArgumentException.class,
                () -> new PlantedModels(shape, small, TensorType.F32, 1).writeGguf(out, b -> {}));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertFalse(Files.exists(out));
    }

    private static GenerationResult generate(EngineConfig.Builder config, GenerateRequest request) {
        try (Engine engine = Engine.open(config.prefixCacheBytes(0).build()); Session session = engine.openSession()) {
            return session.generate(request);
        }
    }

    /**
     * The residual stream after the first {@code layers} layers: the model cut there, read out through an
     * identity classifier (rows e_i, final norm weights 1), so logit i is x_i / rms(x), zero exactly when x_i is.
     */
    private static float[][] residualAfter(Model planted, int layers, Arena arena) {
        LlamaConfig c = planted.config();
        MemorySegment identity = arena.allocate((long) c.vocabSize() * c.dim() * Float.BYTES);
        for (int i = 0; i < c.dim(); i++) identity.setAtIndex(ValueLayout.JAVA_FLOAT, (long) i * c.dim() + i, 1f);
        float[] ones = new float[c.dim()];
        Arrays.fill(ones, 1f);
        LlamaWeights w = planted.weights();
        LlamaWeights cut = new LlamaWeights(w.tokenEmbedding(), w.layers().subList(0, layers), ones,
                new WeightMatrix("identity", TensorType.F32, c.vocabSize(), c.dim(), identity));
        LlamaConfig cutConfig = new LlamaConfig(c.dim(), c.hiddenDim(), layers, c.heads(), c.kvHeads(), c.vocabSize(),
                c.contextLength(), c.rmsEps(), c.ropeTheta(), c.ropeDim(), c.ropeLayout(), c.ropeScaling());
        LlamaTransformer t = new LlamaTransformer(new Model(planted.source(), "gguf", cutConfig, cut, null), SCALAR);
        return t.forward(t.newCache(16), PROMPT, new int[]{-1, 0, 1, 2, 3});
    }

    /** A prompt (a chain), then a 3-token tree, then a kept path and greedy single-token steps. */
    private static float[][][] decode(LlamaTransformer transformer, LayerSource layers) {
        KvCache cache = transformer.newCache(64);
        float[][][] out = new float[5][][];
        out[0] = transformer.forward(cache, PROMPT, new int[]{-1, 0, 1, 2, 3}, layers);
        cache.keep(new int[]{0, 1, 2, 3, 4});
        out[1] = transformer.forward(cache, new int[]{300, 301, 302}, new int[]{-1, 0, 0}, layers);
        cache.keep(new int[]{0, 1});
        int token = Sampler.argmax(out[1][1]);
        for (int s = 2; s < 5; s++) {
            out[s] = transformer.forward(cache, new int[]{token}, new int[]{-1}, layers);
            cache.keep(new int[]{0});
            token = Sampler.argmax(out[s][0]);
        }
        return out;
    }

    /** Within float rounding: stories260K's logits are of order 10; the golden files allow 1e-3. */
    private static void assertClose(float[][][] expected, float[][][] actual, String label) {
        for (int s = 0; s < expected.length; s++) {
            for (int t = 0; t < expected[s].length; t++) {
                for (int i = 0; i < expected[s][t].length; i++) {
                    double err = Math.abs(expected[s][t][i] - actual[s][t][i]);
                    if (!(err <= 1e-4 * Math.max(1, Math.abs(expected[s][t][i])))) {
                        fail(label + ": step " + s + " token " + t + " logit " + i + ": " + actual[s][t][i]
                                + ", the small model gives " + expected[s][t][i]);
                    }
                }
            }
        }
    }

    private static float[] feed(LlamaTransformer t, KvCache cache, int[] tokens) {
        int[] parents = new int[tokens.length], path = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            parents[i] = i - 1;
            path[i] = i;
        }
        float[][] logits = t.forward(cache, tokens, parents);
        cache.keep(path);
        return logits[tokens.length - 1];
    }

    private static double mean(List<Double> xs) { return xs.stream().mapToDouble(d -> d).average().orElseThrow(); }

    private static double variance(List<Double> xs) {
        double m = mean(xs);
        return xs.stream().mapToDouble(d -> (d - m) * (d - m)).sum() / (xs.size() - 1);
    }
}
