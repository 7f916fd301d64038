package dev.sequoia.engine.model;

import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.kernel.VectorTreeAttention;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.testing.RandomModels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A forward over several caches at once (one shared pass) gives every part the logits of its forward alone,
 * with the fast kernels, for parts of different prefix lengths and tree shapes (up to the GEMM's summation
 * order: its register tiles group 4 tokens, so a token's sums may round differently in a bigger batch, a few
 * ulps); a part that cannot run leaves every cache as it was.
 */
class SharedForwardTest {
    private final Arena arena = Arena.ofShared();
    private final VectorMatMul kernels = new VectorMatMul(2);
    private final LlamaConfig config = RandomModels.tinyConfig();
    private final LlamaTransformer model = new LlamaTransformer(config, RandomModels.weights(config, 5, arena), kernels,
            new VectorTreeAttention(config.heads(), config.kvHeads(), config.headDim(), kernels.pool()));
    private final LayerSource layers = LayerSource.resident(model.weights());

    @AfterEach
    void close() {
        kernels.close();
        arena.close();
    }

    private KvCache prefilled(int length, Random rnd) {
        KvCache cache = model.newCache(64);
        int[] tokens = rnd.ints(length, 0, config.vocabSize()).toArray();
        int[] parents = new int[length], path = new int[length];
        for (int i = 0; i < length; i++) {
            parents[i] = i - 1;
            path[i] = i;
        }
        model.forward(cache, tokens, parents);
        cache.keep(path);
        return cache;
    }

    @Test
    void everyPartGetsTheBitsOfItsForwardAlone() {
        int[][] parents = {{-1}, {-1, 0, 0, 1, 1, 2}, {-1, 0, 1, 2}, {-1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 9}};
        int[] prefixes = {3, 11, 1, 7};
        Random rnd = new Random(3);
        List<LlamaTransformer.Part> shared = new java.util.ArrayList<>();
        List<float[][]> alone = new java.util.ArrayList<>();
        for (int i = 0; i < parents.length; i++) {
            long seed = rnd.nextLong();
            int[] tokens = new Random(seed).ints(parents[i].length, 0, config.vocabSize()).toArray();
            alone.add(model.forward(prefilled(prefixes[i], new Random(seed)), tokens, parents[i], layers));
            shared.add(new LlamaTransformer.Part(prefilled(prefixes[i], new Random(seed)), tokens, parents[i]));
        }
        List<float[][]> together = model.forward(shared, layers);
        for (int i = 0; i < parents.length; i++) {
            for (int t = 0; t < parents[i].length; t++) {
                float[] a = alone.get(i)[t], b = together.get(i)[t];
                for (int v = 0; v < a.length; v++) {
                    assertTrue(Math.abs(a[v] - b[v]) <= 1e-5f * Math.max(1f, Math.abs(a[v])),
                            "part " + i + " token " + t + " logit " + v + ": " + b[v] + " vs " + a[v] + " alone");
                }
            }
            assertEquals(parents[i].length, shared.get(i).cache().pending());
        }
    }

    @Test
    void aPartThatCannotRunLeavesEveryCacheAsItWas() {
        Random rnd = new Random(4);
        KvCache a = prefilled(5, rnd), b = prefilled(9, rnd);
        var bad = List.of(new LlamaTransformer.Part(a, new int[]{1, 2}, new int[]{-1, 0}),
                new LlamaTransformer.Part(b, new int[]{config.vocabSize()}, new int[]{-1}));
        var e = assertThrows(IllegalArgumentException.class, () -> model.forward(bad, layers));
        assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
        assertEquals(0, a.pending());
        assertEquals(0, b.pending());
        var sameCache = List.of(new LlamaTransformer.Part(a, new int[]{1}, new int[]{-1}),
                new LlamaTransformer.Part(a, new int[]{2}, new int[]{-1}));
        assertThrows(IllegalArgumentException.class, () -> model.forward(sameCache, layers));
        KvCache small = model.newCache(6);
        KvCache full = prefilled(5, rnd);
        var tooMany = List.of(new LlamaTransformer.Part(full, new int[]{1}, new int[]{-1}),
                new LlamaTransformer.Part(small, new int[]{1, 2, 3, 4, 5, 6, 7}, new int[]{-1, 0, 1, 2, 3, 4, 5}));
        assertThrows(IllegalArgumentException.class, () -> model.forward(tooMany, layers));
        assertEquals(0, full.pending(), "the first part's rows were rolled back when the second did not fit");
        assertEquals(5, full.committed());
    }

    /**
     * A prompt chain fed ahead of a tree in one part (rows before logitsFrom get no logits) gives the tree the
     * logits, and the cache the rows, of the chain fed and committed first and the tree after it, while another
     * part of the same forward keeps every row's logits.
     */
    @Test
    void aChainFedAheadOfATreeGivesTheTreeWhatItGetsAfterTheChain() {
        Random rnd = new Random(5);
        int[] chain = rnd.ints(6, 0, config.vocabSize()).toArray();
        int[] tree = rnd.ints(5, 0, config.vocabSize()).toArray();
        int[] treeParents = {-1, 0, 0, 1, 3};
        int[] path = {0, 1, 3};
        long seed = rnd.nextLong();

        KvCache apart = prefilled(4, new Random(seed));
        int[] chainParents = new int[chain.length], chainPath = new int[chain.length];
        for (int i = 0; i < chain.length; i++) {
            chainParents[i] = i - 1;
            chainPath[i] = i;
        }
        model.forward(apart, chain, chainParents, layers);
        apart.keep(chainPath);
        float[][] expected = model.forward(apart, tree, treeParents, layers);
        apart.keep(path);

        KvCache together = prefilled(4, new Random(seed));
        int n = chain.length + tree.length;
        int[] rows = new int[n], parents = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i < chain.length ? chain[i] : tree[i - chain.length];
            parents[i] = i < chain.length ? i - 1 : treeParents[i - chain.length] + chain.length;
        }
        KvCache other = prefilled(9, rnd);
        List<float[][]> logits = model.forward(List.of(new LlamaTransformer.Part(together, rows, parents, chain.length),
                new LlamaTransformer.Part(other, new int[]{3, 4}, new int[]{-1, 0})), layers);
        assertEquals(tree.length, logits.get(0).length, "logits for the tree's rows only");
        assertEquals(2, logits.get(1).length);
        for (int t = 0; t < tree.length; t++) assertClose(expected[t], logits.get(0)[t], "tree row " + t);
        int[] kept = new int[chain.length + path.length];
        for (int i = 0; i < chain.length; i++) kept[i] = i;
        for (int j = 0; j < path.length; j++) kept[chain.length + j] = path[j] + chain.length;
        together.keep(kept);
        assertEquals(apart.committed(), together.committed());
        for (int l = 0; l < config.layers(); l++) {
            int len = apart.committed() * config.kvDim();
            assertClose(java.util.Arrays.copyOf(apart.keys(l), len), java.util.Arrays.copyOf(together.keys(l), len), "keys " + l);
            assertClose(java.util.Arrays.copyOf(apart.values(l), len), java.util.Arrays.copyOf(together.values(l), len), "values " + l);
        }
    }

    private static void assertClose(float[] a, float[] b, String what) {
        for (int v = 0; v < a.length; v++) {
            assertTrue(Math.abs(a[v] - b[v]) <= 1e-5f * Math.max(1f, Math.abs(a[v])), what + " [" + v + "]: " + b[v] + " vs " + a[v]);
        }
    }
}
