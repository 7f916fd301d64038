package dev.sequoia.engine.golden;

import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.kernel.MatMul;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.sampling.Sampler;
import dev.sequoia.engine.testing.Golden;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The tiny real models against the independent reference: tokenization, logits after each prompt and the
 * 48-token greedy continuation, for the llama2.c and GGUF files (identical results), with the scalar
 * reference kernels and the fast kernels.
 */
class GoldenModelTest {
    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("target llama2.c", "stories260K.bin", "tok512.bin", "golden/stories260K-golden.json", false),
                Arguments.of("target GGUF", "stories260K.gguf", null, "golden/stories260K-golden.json", false),
                Arguments.of("target llama2.c, fast kernels", "stories260K.bin", "tok512.bin", "golden/stories260K-golden.json", true),
                Arguments.of("target GGUF, fast kernels", "stories260K.gguf", null, "golden/stories260K-golden.json", true),
                Arguments.of("draft llama2.c", "draft-stories260K-d32.bin", "tok512.bin", "golden/draft-stories260K-d32-golden.json", false),
                Arguments.of("draft llama2.c, fast kernels", "draft-stories260K-d32.bin", "tok512.bin", "golden/draft-stories260K-d32-golden.json", true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void matchesTheReference(String name, String modelFile, String tokenizerFile, String goldenFile, boolean fast) {
        Path golden = Fixtures.require(goldenFile);
        Path tokenizer = tokenizerFile == null ? null : Fixtures.require(tokenizerFile);
        double tol = Golden.tolerance(golden);
        try (Arena arena = Arena.ofShared(); VectorMatMul vector = new VectorMatMul(2)) {
            Model model = ModelLoader.load(Fixtures.require(modelFile), tokenizer, arena);
            MatMul kernels = fast ? vector : new ScalarMatMul();
            LlamaTransformer transformer = new LlamaTransformer(model, kernels);
            for (Golden.Case c : Golden.cases(golden)) {
                assertArrayEquals(c.promptTokens(), model.tokenizer().encode(c.prompt(), true, false), c.prompt());
                KvCache cache = transformer.newCache(512);
                float[] logits = feed(transformer, cache, c.promptTokens());
                for (int i = 0; i < logits.length; i++) {
                    assertEquals(c.logitsLast()[i], logits[i], tol, name + " '" + c.prompt() + "' logit " + i);
                }
                int[] greedy = new int[c.greedyTokens().length];
                for (int i = 0; i < greedy.length; i++) {
                    greedy[i] = Sampler.argmax(logits);
                    logits = feed(transformer, cache, new int[]{greedy[i]});
                }
                assertArrayEquals(c.greedyTokens(), greedy, name + " greedy continuation of '" + c.prompt() + "'");
                assertEquals(c.greedyText(), model.tokenizer().decodeAll(c.promptTokens()[c.promptTokens().length - 1], greedy));
            }
        }
    }

    private static float[] feed(LlamaTransformer t, KvCache cache, int[] tokens) {
        int[] parents = new int[tokens.length];
        int[] path = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            parents[i] = i - 1;
            path[i] = i;
        }
        float[][] logits = t.forward(cache, tokens, parents);
        cache.keep(path);
        return logits[tokens.length - 1];
    }
}
