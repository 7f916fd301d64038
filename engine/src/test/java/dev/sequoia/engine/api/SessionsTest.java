package dev.sequoia.engine.api;

import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.testing.Golden;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The sessions API on the real tiny model: isolation, continuation, cancellation, freeing, prefix cache. */
class SessionsTest {
    private static Engine engine;

    @BeforeAll
    static void open() {
        engine = Engine.open(EngineConfig.builder(Fixtures.targetSpec())
                .threads(2).prefixCacheBytes(16L << 20).build());
    }

    @AfterAll
    static void close() {
        if (engine != null) engine.close();
    }

    private static GenerateRequest sampled(String prompt, int n, long seed) {
        return new GenerateRequest(prompt, n, new SamplingParams(0.8, 0, 0.95, seed), List.of(), 0);
    }

    @Test
    void greedyGenerationMatchesTheGoldenContinuation() {
        Golden.Case c = Golden.cases(Fixtures.targetGolden()).getFirst();
        try (Session s = engine.openSession()) {
            GenerationResult r = s.generate(GenerateRequest.greedy(c.prompt(), c.greedyTokens().length));
            assertArrayEquals(c.promptTokens(), r.promptTokens());
            assertArrayEquals(c.greedyTokens(), r.tokens());
            assertEquals(c.greedyText(), r.text());
            assertEquals(StopReason.MAX_TOKENS, r.stopReason());
            assertEquals(1.0, r.stats().tokensPerStep(), 1e-9);
        }
    }

    @Test
    void concurrentSessionsProduceWhatEachProducesAlone() throws Exception {
        String[] prompts = {"Once upon a time", "The little dog", "Lily and Tom went to the park", "One day"};
        List<int[]> alone = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            try (Session s = engine.openSession()) {
                alone.add(s.generate(sampled(prompts[i], 40, 100 + i)).tokens());
            }
        }
        List<Session> sessions = new ArrayList<>();
        List<Generation> running = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            Session s = engine.openSession();
            sessions.add(s);
            running.add(s.generate(sampled(prompts[i], 40, 100 + i), null));
        }
        for (int i = 0; i < prompts.length; i++) {
            assertArrayEquals(alone.get(i), running.get(i).await().tokens(), "session " + i);
        }
        sessions.forEach(Session::close);
    }

    @Test
    void continuingAConversationEqualsFeedingItWhole() {
        try (Session turns = engine.openSession(); Session whole = engine.openSession()) {
            GenerationResult first = turns.generate(GenerateRequest.greedy("Once upon a time", 12));
            GenerationResult second = turns.generate(GenerateRequest.greedy(" The end. Then", 20));
            GenerationResult both = whole.generate(GenerateRequest.greedy("Once upon a time" + first.text()
                    + " The end. Then", 20));
            assertEquals(both.text(), second.text());
            assertTrue(second.stats().promptTokens() < both.stats().promptTokens(), "the second turn feeds only its text");
        }
    }

    @Test
    void cancelStopsWithinOneStep() throws Exception {
        try (Session s = engine.openSession()) {
            AtomicInteger seen = new AtomicInteger();
            CountDownLatch started = new CountDownLatch(1);
            Generation g = s.generate(sampled("Once", 400, 1), (token, text) -> {
                seen.incrementAndGet();
                started.countDown();
            });
            started.await();
            g.cancel();
            GenerationResult r = g.await();
            assertEquals(StopReason.CANCELLED, r.stopReason());
            assertTrue(r.tokens().length < 400, "stopped early: " + r.tokens().length);
            assertEquals(seen.get(), r.tokens().length, "no token after the cancelling step");
        }
    }

    @Test
    void tokenIteratorSeesEveryToken() {
        try (Session s = engine.openSession()) {
            Generation g = s.generate(GenerateRequest.greedy("The little dog", 15), null);
            List<Integer> streamed = new ArrayList<>();
            for (Iterator<Integer> it = g.tokens(); it.hasNext(); ) streamed.add(it.next());
            assertArrayEquals(g.await().tokens(), streamed.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    @Test
    void closingSessionsFreesTheirCaches() {
        long before = engine.kvBytes();
        int openBefore = engine.openSessions();
        for (int round = 0; round < 30; round++) {
            try (Session s = engine.openSession()) {
                s.generate(GenerateRequest.greedy("Lily", 5));
                assertTrue(engine.kvBytes() > before);
            }
        }
        assertEquals(openBefore, engine.openSessions());
        assertEquals(before, engine.kvBytes());
    }

    @Test
    void aCachedPromptPrefixIsRestoredAndGivesTheSameOutput() {
        String prompt = "Lily and Tom went to the park. They saw a big";
        GenerationResult cold, warm;
        try (Session s = engine.openSession()) {
            cold = s.generate(GenerateRequest.greedy(prompt, 16));
        }
        try (Session s = engine.openSession()) {
            warm = s.generate(GenerateRequest.greedy(prompt, 16));
        }
        assertArrayEquals(cold.tokens(), warm.tokens());
        assertEquals(warm.promptTokens().length - 1, warm.stats().cachedTokens());
    }

    @Test
    void stopStringsEndTheGeneration() {
        try (Session s = engine.openSession()) {
            GenerationResult r = s.generate(new GenerateRequest("Once upon a time", 48, SamplingParams.greedy(),
                    List.of("Lily"), 0));
            assertEquals(StopReason.STOP_STRING, r.stopReason());
            assertTrue(r.text().endsWith("Lily"), r.text());
        }
    }

    @Test
    void aPromptLongerThanTheContextIsAClearError() {
        try (Engine small = Engine.open(EngineConfig.builder(Fixtures.targetSpec())
                .threads(1).contextLength(8).build()); Session s = small.openSession()) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> s.generate(GenerateRequest.greedy("Lily and Tom went to the park", 4)));
            assertTrue(e.getMessage().contains("context"), e.getMessage());
            GenerationResult r = s.generate(GenerateRequest.greedy("Lily", 50));
            assertEquals(StopReason.CONTEXT_LENGTH, r.stopReason());
        }
    }
}
