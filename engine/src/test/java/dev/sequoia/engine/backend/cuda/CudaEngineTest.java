package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.api.StopReason;
import dev.sequoia.engine.backend.offload.OffloadSettings;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.testing.Golden;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The sessions API on the CUDA backend with the real tiny pair (stories260K and its draft): plain greedy
 * decoding gives the golden tokens, speculative greedy decoding gives the CPU backend's plain greedy output
 * token for token with more than one token per step, and so does a target streamed through device slots.
 * Skipped without a GPU (fails under SEQUOIA_REQUIRE_CUDA=1).
 */
class CudaEngineTest {
    private static final int TOKENS = 64;
    private static List<Golden.Case> cases;
    private static Engine cpu;

    @BeforeAll
    static void open() {
        cases = Golden.cases(Fixtures.targetGolden());
        cpu = Engine.open(EngineConfig.builder(target()).threads(2).build());
    }

    @AfterAll
    static void close() {
        if (cpu != null) cpu.close();
    }

    private static ModelSpec target() { return Fixtures.targetSpec(); }

    private static EngineConfig.Builder cuda() { return EngineConfig.builder(target()).threads(2).backend(BackendChoice.CUDA); }

    private static EngineConfig.Builder speculative(String tree) {
        return cuda().draft(Fixtures.draftSpec()).tree(tree);
    }

    @Test
    void plainGreedyDecodingGivesTheGoldenTokens() {
        CudaTestSupport.requireCudaBackend();
        try (Engine e = Engine.open(cuda().build())) {
            assertEquals(BackendChoice.CUDA, e.backend());
            assertTrue(e.cudaPlan().streamedLayers().isEmpty(), "no budget: every layer resident");
            for (Golden.Case c : cases) {
                GenerationResult r = generate(e, c.prompt(), 48);
                assertArrayEquals(c.promptTokens(), r.promptTokens(), c.prompt());
                assertArrayEquals(Arrays.copyOf(c.greedyTokens(), 48), r.tokens(), c.prompt());
                assertEquals(0, r.stats().cachedTokens(), "the CUDA backend skips the prompt-prefix cache");
            }
        }
    }

    @ParameterizedTest(name = "tree {0}")
    @ValueSource(strings = {"4x3", "chain:4"})
    void speculativeGreedyIsCpuPlainGreedy(String tree) {
        CudaTestSupport.requireCudaBackend();
        try (Engine e = Engine.open(speculative(tree).build())) {
            for (Golden.Case c : cases) {
                GenerationResult expected = generate(cpu, c.prompt(), TOKENS);
                GenerationResult actual = generate(e, c.prompt(), TOKENS);
                assertArrayEquals(expected.tokens(), actual.tokens(), tree + ": '" + c.prompt() + "'");
                assertTrue(actual.stats().tokensPerStep() > 1.0, tree + " tokens per step " + actual.stats().tokensPerStep());
                assertTrue(actual.stats().draftForwards() > 0);
            }
        }
    }

    @Test
    void streamedTargetGivesTheSameTokens() {
        CudaTestSupport.requireCudaBackend();
        long layer;
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            layer = CudaWeights.layerBytes(m.config(), LayerFormat.of(m.weights()))[0];
        }
        // three slots and one resident layer: the other layers stream every pass
        OffloadSettings budget = OffloadSettings.budget(4 * layer);
        try (Engine plain = Engine.open(cuda().offload(budget).build());
             Engine spec = Engine.open(speculative("4x3").offload(budget).build())) {
            assertFalse(plain.cudaPlan().streamedLayers().isEmpty(), "some target layers stream");
            assertEquals(CudaModels.SLOTS, plain.cudaPlan().slots());
            for (Golden.Case c : cases) {
                assertArrayEquals(Arrays.copyOf(c.greedyTokens(), 48), generate(plain, c.prompt(), 48).tokens(), c.prompt());
                assertArrayEquals(generate(cpu, c.prompt(), TOKENS).tokens(), generate(spec, c.prompt(), TOKENS).tokens(),
                        "streamed speculative: '" + c.prompt() + "'");
            }
        }
    }

    /** A stop string rolls back tokens accepted past it (truncate), and the session goes on like the CPU one. */
    @Test
    void stopStringsAndASecondTurnMatchTheCpuBackend() {
        CudaTestSupport.requireCudaBackend();
        Golden.Case c = cases.getFirst();
        String[] words = c.greedyText().trim().split("\\s+");
        String stop = words[Math.min(5, words.length - 1)];
        GenerateRequest first = new GenerateRequest(c.prompt(), TOKENS, SamplingParams.greedy(), List.of(stop), 0);
        GenerateRequest second = GenerateRequest.greedy(" And then", 24);
        try (Engine e = Engine.open(speculative("chain:4").build());
             Session gpuSession = e.openSession(); Session cpuSession = cpu.openSession()) {
            GenerationResult want1 = cpuSession.generate(first), got1 = gpuSession.generate(first);
            assertEquals(StopReason.STOP_STRING, want1.stopReason());
            assertEquals(want1.stopReason(), got1.stopReason());
            assertArrayEquals(want1.tokens(), got1.tokens());
            assertArrayEquals(cpuSession.generate(second).tokens(), gpuSession.generate(second).tokens());
            assertTrue(e.kvBytes() > 0);
        }
    }

    private static GenerationResult generate(Engine engine, String prompt, int n) {
        try (Session s = engine.openSession()) {
            return s.generate(GenerateRequest.greedy(prompt, n));
        }
    }
}
