package dev.sequoia.engine.model;

import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.testing.RandomModels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Tree-batched forwards agree with plain causal forwards over the same paths. */
class TreeForwardTest {
    private final Arena arena = Arena.ofConfined();
    private final LlamaConfig config = RandomModels.tinyConfig();
    private final LlamaTransformer model =
            new LlamaTransformer(config, RandomModels.weights(config, 7, arena), new ScalarMatMul(),
                    new dev.sequoia.engine.kernel.TreeAttention(config.heads(), config.kvHeads(), config.headDim()));
    private final int[] prefix = {1, 17, 33, 5, 60};

    @AfterEach
    void close() { arena.close(); }

    @Test
    void everyNodeOfARandomTreeMatchesTheCausalForwardOverItsPath() {
        Random rnd = new Random(11);
        int[] parents = randomTree(40, rnd);
        int[] tokens = rnd.ints(40, 0, config.vocabSize()).toArray();
        KvCache cache = prefilled();
        float[][] tree = model.forward(cache, tokens, parents);
        for (int node = 0; node < tokens.length; node++) {
            float[] expected = causalLast(concat(prefix, pathTokens(node, parents, tokens)));
            assertClose(expected, tree[node], "node " + node);
        }
    }

    @Test
    void keepingAPathThenContinuingEqualsFeedingThatPathAlone() {
        Random rnd = new Random(12);
        int[] parents = randomTree(40, rnd);
        int[] tokens = rnd.ints(40, 0, config.vocabSize()).toArray();
        KvCache cache = prefilled();
        model.forward(cache, tokens, parents);
        int leaf = 39;
        int[] path = pathNodes(leaf, parents);
        cache.keep(path);
        assertEquals(prefix.length + path.length, cache.committed());
        float[] next = model.forward(cache, new int[]{42, 43}, new int[]{-1, 0})[1];
        int[] fed = concat(concat(prefix, pathTokens(leaf, parents, tokens)), new int[]{42, 43});
        assertClose(causalLast(fed), next, "after keep");
    }

    @Test
    void growingATreeLevelByLevelEqualsOneBatch() {
        int[] tokens = {3, 4, 5, 6, 7, 8};
        int[] parents = {-1, 0, 0, 1, 1, 2};
        float[][] whole = model.forward(prefilled(), tokens, parents);
        KvCache cache = prefilled();
        float[][] level0 = model.forward(cache, new int[]{3}, new int[]{-1});
        float[][] level1 = model.forward(cache, new int[]{4, 5}, new int[]{0, 0});
        float[][] level2 = model.forward(cache, new int[]{6, 7, 8}, new int[]{1, 1, 2});
        assertClose(whole[0], level0[0], "level 0");
        assertClose(whole[2], level1[1], "level 1");
        assertClose(whole[5], level2[2], "level 2");
    }

    @Test
    void aBadParentIsRejectedAndTheCacheIsUnchanged() {
        KvCache cache = prefilled();
        var e = assertThrows(IllegalArgumentException.class,
                () -> model.forward(cache, new int[]{1, 2}, new int[]{-1, 1}));
        assertTrue(e.getMessage().contains("parent 1"), e.getMessage());
        assertEquals(0, cache.pending());
        assertThrows(IllegalArgumentException.class, () -> model.forward(cache, new int[]{999}, new int[]{-1}));
        assertEquals(0, cache.pending());
    }

    private KvCache prefilled() {
        KvCache cache = model.newCache(256);
        model.forward(cache, prefix, chainParents(prefix.length));
        cache.keep(chainNodes(prefix.length));
        return cache;
    }

    private float[] causalLast(int[] sequence) {
        KvCache cache = model.newCache(256);
        float[][] logits = model.forward(cache, sequence, chainParents(sequence.length));
        return logits[sequence.length - 1];
    }

    static int[] randomTree(int n, Random rnd) {
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) parents[i] = rnd.nextInt(i + 1) - 1;
        return parents;
    }

    static int[] pathNodes(int node, int[] parents) {
        List<Integer> path = new ArrayList<>();
        for (int p = node; p >= 0; p = parents[p]) path.add(p);
        Collections.reverse(path);
        return path.stream().mapToInt(Integer::intValue).toArray();
    }

    static int[] pathTokens(int node, int[] parents, int[] tokens) {
        int[] nodes = pathNodes(node, parents);
        int[] out = new int[nodes.length];
        for (int i = 0; i < nodes.length; i++) out[i] = tokens[nodes[i]];
        return out;
    }

    static int[] chainParents(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i - 1;
        return p;
    }

    static int[] chainNodes(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            double tol = 1e-4 * Math.max(1.0, Math.abs(expected[i]));
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) { // NaN-safe: a NaN logit fails
                fail(what + ": logit " + i + " expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }
}
