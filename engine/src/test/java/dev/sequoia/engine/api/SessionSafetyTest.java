package dev.sequoia.engine.api;

import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The sessions layer under the uses a server makes of it (issue 14): generations requested on one session
 * without waiting, sessions closed from their own listeners or from other threads mid-generation, listeners
 * that throw. Every wait has a timeout, so a dead engine thread fails the test instead of hanging it.
 */
class SessionSafetyTest {
    private static final long TIMEOUT_S = 60;
    private static Engine engine;

    @BeforeAll
    static void open() {
        engine = Engine.open(EngineConfig.builder(Fixtures.targetSpec())
                .threads(2).prefixCacheBytes(0).build());
    }

    @AfterAll
    static void close() {
        if (engine != null) engine.close();
    }

    private static GenerationResult await(Generation g) throws Exception {
        return g.result().get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    private static GenerateRequest sampled(String prompt, int n, long seed) {
        return new GenerateRequest(prompt, n, new SamplingParams(0.8, 0, 0.95, seed), List.of(), 0);
    }

    @Test
    void generationsRequestedWithoutWaitingRunInRequestOrder() throws Exception {
        GenerationResult first, second;
        try (Session s = engine.openSession()) {
            first = s.generate(GenerateRequest.greedy("Once upon a time", 20));
            second = s.generate(GenerateRequest.greedy(" The end. Then", 20));
        }
        try (Session s = engine.openSession()) {
            Generation a = s.generate(GenerateRequest.greedy("Once upon a time", 20), null);
            Generation b = s.generate(GenerateRequest.greedy(" The end. Then", 20), null);
            Generation c = s.generate(sampled(" Lily", 10, 5), null);
            assertArrayEquals(first.tokens(), await(a).tokens(), "first turn");
            assertArrayEquals(second.tokens(), await(b).tokens(), "second turn, after the first");
            assertEquals(10, await(c).tokens().length);
        }
    }

    @Test
    void aListenerThatClosesItsOwnSessionEndsItAndTheEngineKeepsServing() throws Exception {
        Session other = engine.openSession();
        Generation bystander = other.generate(sampled("The little dog", 60, 3), null);
        Session s = engine.openSession();
        AtomicInteger seen = new AtomicInteger();
        Generation g = s.generate(sampled("Once", 200, 1), (token, text) -> {
            if (seen.incrementAndGet() == 3) s.close(); // what a server does when its client disconnects
        });
        GenerationResult r = await(g);
        assertEquals(StopReason.CANCELLED, r.stopReason());
        assertEquals(3, r.tokens().length, "no token after the closing one");
        assertEquals(3, seen.get());
        assertEquals(60, await(bystander).tokens().length, "the other session finished");
        assertThrows(IllegalStateException.class, () -> s.generate(GenerateRequest.greedy("x", 1), null));
        try (Session next = engine.openSession()) {
            assertEquals(5, await(next.generate(GenerateRequest.greedy("Lily", 5), null)).tokens().length);
        }
        other.close();
    }

    @Test
    void closingFromAnotherThreadMidGenerationCancelsItAndItsQueuedTurns() throws Exception {
        Session s = engine.openSession();
        CountDownLatch started = new CountDownLatch(1);
        Generation running = s.generate(sampled("Once", 400, 2), (t, x) -> started.countDown());
        Generation queued = s.generate(sampled(" Then", 400, 2), null);
        assertTrue(started.await(TIMEOUT_S, TimeUnit.SECONDS));
        Thread closer = Thread.ofPlatform().start(s::close);
        closer.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
        assertFalse(closer.isAlive(), "close returned");
        assertEquals(StopReason.CANCELLED, await(running).stopReason());
        assertEquals(StopReason.CANCELLED, await(queued).stopReason());
        assertEquals(0, await(queued).tokens().length, "the queued turn never started");
        try (Session next = engine.openSession()) {
            assertEquals(4, await(next.generate(GenerateRequest.greedy("Lily", 4), null)).tokens().length);
        }
    }

    @Test
    void aThrowingListenerFailsOnlyItsGeneration() throws Exception {
        try (Session s = engine.openSession(); Session other = engine.openSession()) {
            Generation bystander = other.generate(sampled("The little dog", 40, 9), null);
            Generation g = s.generate(GenerateRequest.greedy("Once upon a time", 30), (token, text) -> {
                throw new IllegalStateException("listener broke");
            });
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> await(g));
            assertEquals("listener broke", e.getCause().getMessage());
            assertEquals(40, await(bystander).tokens().length);
            // the session stays usable: its next turn continues from the last token it emitted
            assertEquals(6, await(s.generate(GenerateRequest.greedy(" Then", 6), null)).tokens().length);
        }
    }

    @Test
    void aSessionClosedTwiceFromTwoThreadsClosesOnce() throws Exception {
        int openBefore = engine.openSessions();
        Session s = engine.openSession();
        Generation g = s.generate(sampled("Once", 300, 4), null);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread a = Thread.ofPlatform().start(() -> { try { s.close(); } catch (Throwable t) { failure.set(t); } });
        Thread b = Thread.ofPlatform().start(() -> { try { s.close(); } catch (Throwable t) { failure.set(t); } });
        a.join(TIMEOUT_S * 1000);
        b.join(TIMEOUT_S * 1000);
        assertNull(failure.get());
        assertEquals(StopReason.CANCELLED, await(g).stopReason());
        assertEquals(openBefore, engine.openSessions());
    }
}
