package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.api.StopReason;
import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.model.Rope;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.model.RopeScaling;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Llama 3.x GGUF forms llama.cpp's converter writes: Llama 3.1's rope scaling as the tensor
 * {@code rope_freqs.weight}, Llama 3.2's tied embeddings (no {@code output.weight}), and end-of-turn ids
 * declared in the tokenizer metadata.
 */
class Llama3GgufTest {
    private static final String[] SCALING_KEYS = {GgufLlamaConfig.SCALING_TYPE, GgufLlamaConfig.SCALING_FACTOR,
            GgufLlamaConfig.SCALING_LOW, GgufLlamaConfig.SCALING_HIGH, GgufLlamaConfig.SCALING_ORIGINAL_CONTEXT};
    /** A small Llama 3.1-like shape whose original context (64) is short enough that the scaling bites early. */
    private static final RopeScaling SCALING = new RopeScaling(8, 1, 4, 64);
    private static final LlamaConfig SHAPE = new LlamaConfig(64, 192, 2, 4, 2, 320, 256, 1e-5f, 10000f, 16,
            RopeLayout.INTERLEAVED, SCALING);

    @TempDir
    Path dir;

    /**
     * llama.cpp's convert_hf_to_gguf (LlamaModel, rope_type "llama3"): one factor per rotary pair, computed in
     * float32 from the HF rope_scaling; ggml's rope divides the pair's frequency by it.
     */
    private static float[] converterFactors(LlamaConfig c, RopeScaling s) {
        float[] out = new float[c.ropeDim() / 2];
        double lowWavelen = s.originalContextLength() / s.lowFreqFactor();
        double highWavelen = s.originalContextLength() / s.highFreqFactor();
        for (int j = 0; j < out.length; j++) {
            float freq = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0 * j) / c.ropeDim()));
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) out[j] = 1;
            else if (wavelen > lowWavelen) out[j] = (float) s.factor();
            else {
                double smooth = (s.originalContextLength() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                out[j] = (float) (1 / ((1 - smooth) / s.factor() + smooth));
            }
        }
        return out;
    }

    private Path scaledModel() throws IOException {
        Path file = dir.resolve("llama31-keys.gguf");
        new SyntheticModels(SHAPE, TensorType.F32, 7).writeGguf(file);
        return file;
    }

    private Path ropeFreqsModel(Path scaled) {
        GgufRewrite r = new GgufRewrite(scaled);
        for (String k : SCALING_KEYS) r.dropKey(k);
        return r.addF32(GgufLlamaConfig.ROPE_FREQS, converterFactors(SHAPE, SCALING)).writeTo(dir.resolve("llama31-freqs.gguf"));
    }

    /** Logits of every position of a 40-token prompt (positions far past the original context of 64/4). */
    private static float[][] logits(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(file, null, arena);
            LlamaTransformer t = new LlamaTransformer(m, new ScalarMatMul());
            KvCache cache = t.newCache(64);
            int[] tokens = IntStream.range(0, 40).map(i -> (i * 37 + 11) % 320).toArray();
            int[] parents = IntStream.range(0, 40).map(i -> i - 1).toArray();
            return t.forward(cache, tokens, parents);
        }
    }

    private static double maxDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                double d = Math.abs(a[i][j] - b[i][j]);
                if (!(d <= max)) max = d; // NaN propagates as a failure
            }
        }
        return max;
    }

    @Test
    void ropeFreqsTensorIsTheLlama3ScalingAndIsApplied() throws IOException {
        Path scaled = scaledModel();
        Path freqs = ropeFreqsModel(scaled);
        try (Arena arena = Arena.ofConfined()) {
            LlamaConfig c = ModelLoader.load(freqs, null, arena).config();
            assertNull(c.ropeScaling());
            float[] f = c.ropeFreqFactors();
            assertArrayEquals(converterFactors(SHAPE, SCALING), f);
            double[] inv = Rope.inverseFrequencies(c);
            for (int j = 0; j < inv.length; j++) {
                assertEquals(Math.pow(10000, -2.0 * j / 16) / f[j], inv[j], 0, "ggml: theta / freq_factor, pair " + j);
            }
        }
        float[][] viaKeys = logits(scaled), viaTensor = logits(freqs);
        GgufRewrite plain = new GgufRewrite(scaled);
        for (String k : SCALING_KEYS) plain.dropKey(k);
        float[][] unscaled = logits(plain.writeTo(dir.resolve("plain.gguf")));
        double same = maxDiff(viaKeys, viaTensor), apart = maxDiff(viaKeys, unscaled);
        // the factors are float32 (the keys' scaling is applied in double): a few ulps of angle apart
        assertTrue(same <= 1e-4, "rope_freqs vs llama3 keys: max |diff| " + same);
        assertTrue(apart > 1e-2, "the scaling must change the logits: max |diff| without it " + apart);
    }

    @Test
    void ropeFreqsOfTheWrongShapeOrBesideTheKeysAreRefused() throws IOException {
        Path scaled = scaledModel();
        Path both = new GgufRewrite(scaled).addF32(GgufLlamaConfig.ROPE_FREQS, converterFactors(SHAPE, SCALING))
                .writeTo(dir.resolve("both.gguf"));
        assertRefused(both, "both llama.rope.scaling.type = 'llama3' and tensor 'rope_freqs.weight'");
        GgufRewrite shortOne = new GgufRewrite(scaled);
        for (String k : SCALING_KEYS) shortOne.dropKey(k);
        assertRefused(shortOne.addF32(GgufLlamaConfig.ROPE_FREQS, new float[] {1, 1, 1}).writeTo(dir.resolve("short.gguf")),
                "tensor 'rope_freqs.weight' is F32 [3], expected F32 [8]");
        GgufRewrite negative = new GgufRewrite(scaled);
        for (String k : SCALING_KEYS) negative.dropKey(k);
        float[] bad = converterFactors(SHAPE, SCALING);
        bad[5] = -1;
        assertRefused(negative.addF32(GgufLlamaConfig.ROPE_FREQS, bad).writeTo(dir.resolve("negative.gguf")),
                "'rope_freqs.weight'[5] = -1.0");
    }

    @Test
    void tiedEmbeddingsClassifyWithTheEmbedding() throws IOException {
        Path untied = dir.resolve("untied.gguf");
        SyntheticModels.ofPreset("tiny-test", TensorType.Q8_0, 3).writeGguf(untied);
        Path tied = new GgufRewrite(untied).dropTensor("output.weight").writeTo(dir.resolve("tied.gguf"));
        Path copied = new GgufRewrite(untied).copyTensor("output.weight", "token_embd.weight")
                .writeTo(dir.resolve("copied.gguf"));
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(tied, null, arena);
            assertSame(m.weights().tokenEmbedding(), m.weights().classifier());
        }
        float[][] a = logitsOf(tied), b = logitsOf(copied);
        for (int i = 0; i < a.length; i++) assertArrayEquals(b[i], a[i], "position " + i);
        assertTrue(maxDiff(a, logitsOf(untied)) > 1e-3, "the synthetic model has its own classifier");
    }

    private static float[][] logitsOf(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            LlamaTransformer t = new LlamaTransformer(ModelLoader.load(file, null, arena), new ScalarMatMul());
            return t.forward(t.newCache(16), new int[] {1, 203, 107, 261, 78}, new int[] {-1, 0, 1, 2, 3});
        }
    }

    @Test
    void generationStopsAtADeclaredEndOfTurnToken() throws IOException {
        GenerationResult plain = generate(Fixtures.targetGguf());
        int third = plain.tokens()[2];
        assertTrue(IntStream.of(plain.tokens()).limit(2).noneMatch(t -> t == third), "a token first seen at step 3");
        Path eot = new GgufRewrite(Fixtures.targetGguf()).putKey(GgufTokenizers.EOT, third).writeTo(dir.resolve("eot.gguf"));
        GenerationResult r = generate(eot);
        assertEquals(StopReason.EOS, r.stopReason());
        assertArrayEquals(java.util.Arrays.copyOf(plain.tokens(), 3), r.tokens());
        Path eom = new GgufRewrite(Fixtures.targetGguf()).putKey(GgufTokenizers.EOM, third).writeTo(dir.resolve("eom.gguf"));
        assertEquals(3, generate(eom).tokens().length);
    }

    private static GenerationResult generate(Path model) {
        try (Engine e = Engine.open(EngineConfig.builder(new ModelSpec(model, null)).threads(1).contextLength(64).build());
             Session s = e.openSession()) {
            return s.generate(GenerateRequest.greedy("Once upon a time", 16));
        }
    }

    @Test
    void anUnknownPreTokenizerIsRefused() {
        Path llama3Vocab = dir.resolve("vocab.gguf");
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put(GgufTokenizers.MODEL, "gpt2");
        m.put(GgufTokenizers.PRE, "qwen2");
        m.put(GgufTokenizers.TOKENS, new String[] {"a", "b"});
        m.put(GgufTokenizers.MERGES, new String[0]);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> {
            try (Arena arena = Arena.ofConfined()) {
                new GgufWriter(32).write(llama3Vocab, m, java.util.List.of());
                GgufTokenizers.read(GgufReader.read(llama3Vocab, dev.sequoia.engine.format.MappedFiles.map(llama3Vocab, arena)));
            }
        });
        assertTrue(e.getMessage().contains("tokenizer.ggml.pre = 'qwen2'"), e.getMessage());
    }

    private static void assertRefused(Path file, String expected) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> {
            try (Arena arena = Arena.ofConfined()) {
                ModelLoader.load(file, null, arena);
            }
        });
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
