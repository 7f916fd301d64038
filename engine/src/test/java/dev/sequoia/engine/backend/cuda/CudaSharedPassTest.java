package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.Generation;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.bench.device.SharedPasses;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.offload.device.StreamPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One CUDA pass for several sessions (issue 18): four sequences of different prompt lengths with mixed trees,
 * prompt chains fed ahead and earlier pending rows run as one {@link CudaTransformer#forward(List)}, and every
 * logit is what the sequence gives alone on the GPU and on the CPU backend (within the fp16 tolerance of the
 * other CUDA tests, argmax equal), step after step with random kept paths, resident and streamed, with either
 * attention kernel; a failed shared forward leaves every cache as it was; and through the engine, concurrent CUDA
 * sessions share passes and each gives its greedy output alone, token for token. Skipped without a GPU (fails
 * under SEQUOIA_REQUIRE_CUDA=1).
 */
class CudaSharedPassTest {
    private static final double TOLERANCE = 1e-2;
    private static final int[] PROMPTS = {5, 12, 1, 30};

    @TempDir
    Path dir;

    @Test
    void fourSequencesInOnePassMatchEachAloneOnTheRealModel() {
        CudaTestSupport.requireCudaBackend();
        try (Arena arena = Arena.ofConfined(); CudaContext ctx = CudaContext.open(0)) {
            Model m = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            long[] bytes = CudaTransformerTest.layerBytes(m);
            for (StreamPlan plan : List.of(StreamPlan.fit(bytes, Long.MAX_VALUE, 2), StreamPlan.fit(bytes, 3 * bytes[0], 2))) {
                SharedPasses.Comparison c = SharedPasses.mixedPasses(ctx, m, plan, TreeAttentionKernel.NAIVE, PROMPTS, 6, 8, 18);
                assertTrue(c.within(TOLERANCE), plan.streamedLayers().size() + " streamed layers: " + c);
                assertTrue(c.forwards() >= 7 && c.rows() > 100, "enough compared: " + c);
            }
        }
    }

    /** Head sizes 32 and 64 (G = 2 and 4), both attention kernels: each part's attention runs over its own cache. */
    @ParameterizedTest(name = "dim {0}, heads {1}, kvHeads {2}, {3}")
    @CsvSource({"128, 4, 2, GQA", "128, 4, 2, NAIVE", "256, 4, 1, GQA"})
    void fourSequencesInOnePassMatchEachAloneWithEitherAttentionKernel(int dim, int heads, int kvHeads,
                                                                        TreeAttentionKernel kernel) throws IOException {
        CudaTestSupport.requireCudaBackend();
        Path file = CudaTransformerTest.syntheticF16(dir, dim, heads, kvHeads, 512);
        try (Arena arena = Arena.ofConfined(); CudaContext ctx = CudaContext.open(0)) {
            Model m = ModelLoader.load(file, null, arena);
            StreamPlan plan = StreamPlan.fit(CudaTransformerTest.layerBytes(m), Long.MAX_VALUE, 2);
            // prompts past one 32-row attention tile
            SharedPasses.Comparison c = SharedPasses.mixedPasses(ctx, m, plan, kernel, new int[]{45, 3, 33, 1}, 5, 4, 7);
            assertTrue(c.within(TOLERANCE), c.toString());
        }
    }

    /** A part that cannot be appended (after two that were) fails the forward and rolls every part back. */
    @Test
    void aFailedSharedForwardLeavesEveryCacheAsItWas() {
        CudaTestSupport.requireCudaBackend();
        try (Arena arena = Arena.ofConfined(); CudaContext ctx = CudaContext.open(0)) {
            Model m = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            StreamPlan plan = StreamPlan.fit(CudaTransformerTest.layerBytes(m), Long.MAX_VALUE, 2);
            try (CudaWeights w = CudaWeights.fromModel(ctx, m.config(), m.weights(), plan);
                 CudaTransformer gpu = new CudaTransformer(ctx, w, 0, 16);
                 CudaKvCache a = gpu.newCache(64); CudaKvCache b = gpu.newCache(64); CudaKvCache c = gpu.newCache(64);
                 CudaKvCache twin = gpu.newCache(64)) {
                int[] prompt = {1, 403, 407, 261, 378}, chain = {-1, 0, 1, 2, 3};
                CudaTransformer.Part good = new CudaTransformer.Part(a, prompt, chain, 0);
                CudaTransformer.Part alsoGood = new CudaTransformer.Part(b, new int[]{1, 300}, new int[]{-1, 0}, 1);
                CudaTransformer.Part bad = new CudaTransformer.Part(c, new int[]{7}, new int[]{3}, 0); // no pending row 3
                assertThrows(IllegalArgumentException.class, () -> gpu.forward(List.of(good, alsoGood, bad)));
                assertThrows(IllegalArgumentException.class, () -> gpu.forward(List.of(good, new CudaTransformer.Part(a, prompt, chain, 0))),
                        "two parts over one cache");
                assertEquals(0, a.committed());
                // the rolled-back rows are gone: the same forward again numbers its rows from 0 and equals a fresh cache's
                float[][] again = gpu.forward(List.of(good, alsoGood)).getFirst();
                float[][] fresh = gpu.forward(List.of(new CudaTransformer.Part(twin, prompt, chain, 0))).getFirst();
                CudaTransformerTest.assertClose(fresh, again);
                gpu.keep(a, new int[]{0, 1, 2, 3, 4});
                assertEquals(5, a.committed());
                assertThrows(IllegalArgumentException.class, () -> {
                    try (CudaTransformer other = new CudaTransformer(ctx, w, 0, 4)) {
                        other.forward(List.of(new CudaTransformer.Part(b, new int[]{1}, new int[]{-1}, 0)));
                    }
                }, "a cache of another transformer");
            }
        }
    }

    /** Concurrent CUDA sessions share passes (their models share one transformer) and each gives its greedy output alone. */
    @ParameterizedTest(name = "tree {0}")
    @ValueSource(strings = {"4x3", "none"})
    void concurrentEngineSessionsShareCudaPassesAndEachGivesItsGreedyOutputAlone(String tree) {
        CudaTestSupport.requireCudaBackend();
        ModelSpec target = Fixtures.targetSpec();
        EngineConfig.Builder b = EngineConfig.builder(target).threads(2).backend(BackendChoice.CUDA);
        if (!tree.equals("none")) b.draft(Fixtures.draftSpec()).tree(tree);
        String[] prompts = {"Once upon a time", "The little dog", "Lily and Tom went to the park with a big red ball", "One day"};
        try (Engine e = Engine.open(b.build())) {
            List<int[]> alone = new ArrayList<>();
            for (String p : prompts) {
                try (Session s = e.openSession()) {
                    alone.add(s.generate(GenerateRequest.greedy(p, 48)).tokens());
                }
            }
            List<Session> sessions = new ArrayList<>();
            List<Generation> running = new ArrayList<>();
            try {
                for (String p : prompts) {
                    Session s = e.openSession();
                    sessions.add(s);
                    running.add(s.generate(GenerateRequest.greedy(p, 48), null));
                }
                int shared = 0;
                for (int i = 0; i < prompts.length; i++) {
                    GenerationResult r = running.get(i).await();
                    assertArrayEquals(alone.get(i), r.tokens(), tree + ": '" + prompts[i] + "'");
                    shared += r.stats().sharedSteps();
                }
                assertTrue(shared > 0, "the CUDA sessions shared passes");
                // counted by the transformer itself: forwards that really ran several sessions' rows as one
                assertTrue(e.cudaSharedTargetForwards() > 0, "no target forward ran several sessions' rows at once");
            } finally {
                sessions.forEach(Session::close);
            }
        }
    }
}
