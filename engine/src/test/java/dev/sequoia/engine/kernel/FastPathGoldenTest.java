package dev.sequoia.engine.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The fast path (VectorMatMul, native kernels where they load, VectorTreeAttention) and the reference path
 * (ScalarMatMul, TreeAttention) generate the golden greedy tokens of the shared tiny model.
 */
class FastPathGoldenTest {
    @Test
    void fastAndReferencePathsGenerateTheGoldenGreedyTokens() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(Fixtures.targetGolden().toFile());
        int nNew = golden.get("n_new").asInt();
        try (Arena arena = Arena.ofShared(); VectorMatMul fast = new VectorMatMul(2)) {
            Model model = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            LlamaConfig c = model.config();
            LlamaTransformer fastPath = new LlamaTransformer(c, model.weights(), fast,
                    new VectorTreeAttention(c.heads(), c.kvHeads(), c.headDim(), fast.pool()));
            LlamaTransformer reference = new LlamaTransformer(c, model.weights(), new ScalarMatMul(),
                    new TreeAttention(c.heads(), c.kvHeads(), c.headDim()));
            for (JsonNode cs : golden.get("cases")) {
                int[] prompt = ints(cs.get("prompt_tokens"));
                int[] expected = ints(cs.get("greedy_tokens"));
                String what = "greedy continuation of '" + cs.get("prompt").asText() + "'";
                assertArrayEquals(expected, greedy(fastPath, prompt, nNew), "fast path: " + what);
                assertArrayEquals(expected, greedy(reference, prompt, nNew), "reference path: " + what);
            }
        }
    }

    /** Feeds the prompt as one chain, then n greedy single-token steps (argmax, lowest id wins ties). */
    private static int[] greedy(LlamaTransformer model, int[] prompt, int n) {
        KvCache cache = model.newCache(prompt.length + n);
        int[] chain = new int[prompt.length], path = new int[prompt.length];
        for (int i = 0; i < prompt.length; i++) {
            chain[i] = i - 1;
            path[i] = i;
        }
        float[][] logits = model.forward(cache, prompt, chain);
        cache.keep(path);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = argmax(logits[logits.length - 1]);
            logits = model.forward(cache, new int[] {out[i]}, new int[] {-1});
            cache.keep(new int[] {0});
        }
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static int[] ints(JsonNode array) {
        int[] a = new int[array.size()];
        Arrays.setAll(a, i -> array.get(i).asInt());
        return a;
    }
}
