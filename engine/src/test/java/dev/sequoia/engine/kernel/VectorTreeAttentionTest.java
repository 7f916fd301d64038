package dev.sequoia.engine.kernel;

import dev.sequoia.engine.kv.KvCache;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/** The vector tree attention against the plain {@link TreeAttention} on random caches and trees. */
class VectorTreeAttentionTest {
    @ParameterizedTest(name = "heads={0} kvHeads={1} headDim={2} committed={3} n={4} threads={5}")
    @CsvSource({
            "4, 4, 16, 0, 1, 1",     // first token: nothing committed
            "8, 2, 8, 5, 7, 2",      // head dim below one vector, grouped query
            "8, 4, 64, 37, 16, 2",   // odd prefix
            "6, 3, 20, 100, 33, 3",  // ragged head dim, more tokens than kv heads
            "32, 4, 64, 300, 8, 2"}) // tinyllama's grouping
    void matchesPlainAttention(int heads, int kvHeads, int headDim, int committed, int n, int threads) {
        SplittableRandom rnd = new SplittableRandom(heads * 31L + committed);
        int kvDim = kvHeads * headDim;
        KvCache cache = new KvCache(2, kvDim, committed + n);
        if (committed > 0) {
            int[] chain = new int[committed], path = new int[committed];
            for (int i = 0; i < committed; i++) {
                chain[i] = i - 1;
                path[i] = i;
            }
            cache.appendPending(chain);
            fill(cache, 0, committed, rnd);
            cache.keep(path);
        }
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) parents[i] = i == 0 ? -1 : rnd.nextInt(i); // a random tree
        int first = cache.appendPending(parents);
        fill(cache, committed, committed + n, rnd);
        float[] q = random(n * heads * headDim, rnd);
        float[] expected = new float[q.length], actual = new float[q.length];
        new TreeAttention(heads, kvHeads, headDim).attend(q, cache, 1, first, n, expected);
        try (KernelPool pool = new KernelPool(threads)) {
            new VectorTreeAttention(heads, kvHeads, headDim, pool).attend(q, cache, 1, first, n, actual);
        }
        for (int i = 0; i < q.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= 2e-5f * (1 + Math.abs(expected[i])))) {
                fail("element " + i + " (token " + i / (heads * headDim) + "): expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }

    private static void fill(KvCache cache, int from, int to, SplittableRandom rnd) {
        int kvDim = cache.kvDim();
        for (int layer = 0; layer < cache.layers(); layer++) {
            float[] k = cache.keys(layer), v = cache.values(layer);
            for (int i = from * kvDim; i < to * kvDim; i++) {
                k[i] = (float) (rnd.nextDouble() * 4 - 2);
                v[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
        }
    }

    private static float[] random(int size, SplittableRandom rnd) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }
}
