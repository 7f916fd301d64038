package dev.sequoia.engine.kernel;

import dev.sequoia.engine.kv.KvCache;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The vector tree attention against the plain {@link TreeAttention} on random caches and trees, and a
 * token's output the same bits whether it is attended alone or in a batch.
 */
class VectorTreeAttentionTest {
    /** Head sizes 64, 128 (blocked path) and 40 (not a multiple of the vector: the per-token path). */
    static Stream<Arguments> sweep() {
        List<Arguments> cases = new ArrayList<>();
        int index = 0;
        for (int headDim : new int[] {64, 128, 40}) {
            for (int group : new int[] {1, 4, 8}) {
                for (int committed : new int[] {0, 1, 15, 16, 17, 63, 64, 65, 1000}) {
                    // Across the 81 cases n runs through 1..40, and a second seeded n besides.
                    int n = 1 + index % 40;
                    int other = 1 + new SplittableRandom(index).nextInt(40);
                    cases.add(Arguments.of(headDim, group, committed, n));
                    if (other != n) cases.add(Arguments.of(headDim, group, committed, other));
                    index++;
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "headDim={0} group={1} committed={2} n={3}")
    @MethodSource("sweep")
    void matchesPlainAndDoesNotDependOnTheBatch(int headDim, int group, int committed, int n) {
        int kvHeads = 2, heads = group * kvHeads;
        SplittableRandom rnd = new SplittableRandom(headDim * 1_000_003L + group * 1009L + committed * 41L + n);
        KvCache cache = new KvCache(2, kvHeads * headDim, committed + n);
        commitPrefix(cache, committed, rnd);
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) parents[i] = rnd.nextInt(i + 1) - 1; // a random forest under the prefix
        int first = cache.appendPending(parents);
        fill(cache, committed, committed + n, rnd);
        int width = heads * headDim;
        float[] q = random(n * width, rnd);
        float[] expected = new float[q.length], batch = new float[q.length];
        new TreeAttention(heads, kvHeads, headDim).attend(q, cache, 1, first, n, expected);
        try (KernelPool pool = new KernelPool(2)) {
            VectorTreeAttention attention = new VectorTreeAttention(heads, kvHeads, headDim, pool);
            attention.attend(q, cache, 1, first, n, batch);
            assertClose(expected, batch, width);
            float[] qt = new float[width], alone = new float[width];
            for (int t = 0; t < n; t++) {
                System.arraycopy(q, t * width, qt, 0, width);
                attention.attend(qt, cache, 1, first + t, 1, alone);
                for (int i = 0; i < width; i++) {
                    if (Float.floatToIntBits(alone[i]) != Float.floatToIntBits(batch[t * width + i])) {
                        fail("token " + t + " of " + n + ", element " + i + ": alone " + alone[i] + ", in the batch "
                                + batch[t * width + i]);
                    }
                }
            }
        }
    }

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
        commitPrefix(cache, committed, rnd);
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
        assertClose(expected, actual, heads * headDim);
    }

    /** Commits a chain of {@code committed} rows of random keys and values. */
    private static void commitPrefix(KvCache cache, int committed, SplittableRandom rnd) {
        if (committed == 0) return;
        int[] chain = new int[committed], path = new int[committed];
        for (int i = 0; i < committed; i++) {
            chain[i] = i - 1;
            path[i] = i;
        }
        cache.appendPending(chain);
        fill(cache, 0, committed, rnd);
        cache.keep(path);
    }

    private static void assertClose(float[] expected, float[] actual, int width) {
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= 2e-5f * (1 + Math.abs(expected[i])))) {
                fail("element " + i + " (token " + i / width + "): expected " + expected[i] + ", got " + actual[i]);
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
