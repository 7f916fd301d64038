package dev.sequoia.engine.api;

import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.session.AutoregressiveDecoder;
import dev.sequoia.engine.session.PrefixCache;
import dev.sequoia.engine.session.StepDecoder;
import dev.sequoia.engine.speculative.SpeculativeStepDecoder;
import dev.sequoia.engine.speculative.TreeProvider;
import dev.sequoia.engine.speculative.TreeSpec;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.offload.telemetry.PassTelemetry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One target pass for every active session (issue 18), on the real pair: sessions of different prompt
 * lengths, tree shapes (static, dynamic, none) and temperatures share passes, and each one's output is token
 * for token what it is alone (the same random stream; logits equal up to the GEMM's summation order, a few
 * ulps, which changes no token here); one session cancelled, failing or finishing mid-pass leaves the others'
 * outputs unchanged.
 */
class SharedPassTest {
    private static final long TIMEOUT_S = 120;
    private static Engine models;

    @BeforeAll
    static void open() {
        models = Engine.open(EngineConfig.builder(Fixtures.targetSpec()).draft(Fixtures.draftSpec()).tree("4x2").threads(2).build());
    }

    @AfterAll
    static void close() {
        if (models != null) models.close();
    }

    private static final List<SessionSpec> MIXED = List.of(
            new SessionSpec("4x3", "Once upon a time", 0, 1, 0, 40),
            new SessionSpec("chain:5", "The little dog was very happy because he", 0.8, 1, 11, 40),
            new SessionSpec("dynamic:16", "Lily", 1.0, 1, 12, 40),
            new SessionSpec("none", "One day, a boy named Tom went to the park with his mom and", 0.7, 0.9, 13, 40),
            new SessionSpec("2x2", "She said", 0.6, 0.9, 14, 40),
            new SessionSpec("none", "It was a sunny day", 0, 1, 0, 40));

    private static StepDecoder decoder(String tree) {
        LlamaTransformer target = models.targetTransformer();
        if (tree.equals("none")) return new AutoregressiveDecoder(target, models.targetLayers(), 256);
        return new SpeculativeStepDecoder(target, models.targetLayers(), models.draftTransformer(),
                TreeProvider.fixed(TreeSpec.parse(tree, 0)), 256);
    }

    /** A loop like the engine's, over sessions with different decoders. */
    private static EngineLoop loop() {
        EngineLoop loop = new EngineLoop(64, new PrefixCache(0, 1));
        loop.passRunner(new SharedPassRunner(null));
        loop.start("shared-pass-test");
        return loop;
    }

    private static Generation start(EngineLoop loop, SessionState session, GenerateRequest request, TokenListener listener) {
        return start(loop, session, request, listener, () -> {});
    }

    /** As above; {@code atEnqueue} runs on the engine thread just before the generation joins the loop. */
    private static Generation start(EngineLoop loop, SessionState session, GenerateRequest request, TokenListener listener,
                                    Runnable atEnqueue) {
        Generation handle = new Generation();
        GenerationTask task = new GenerationTask(session, request, handle, listener, models.tokenizer(),
                new int[]{models.tokenizer().bos(), models.tokenizer().eos()}, () -> PassTelemetry.NONE);
        loop.submit(() -> {
            atEnqueue.run();
            loop.enqueue(task);
        }, handle::fail);
        return handle;
    }

    private static GenerationResult await(Generation g) throws Exception {
        return g.result().get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    /** Each spec alone: its own loop, one session at a time. */
    private static List<GenerationResult> alone(List<SessionSpec> specs) throws Exception {
        List<GenerationResult> out = new ArrayList<>();
        EngineLoop loop = loop();
        try {
            for (SessionSpec s : specs) out.add(await(start(loop, new SessionState(decoder(s.tree())), s.request(), (t, x) -> {})));
        } finally {
            loop.shutdown();
        }
        return out;
    }

    @Test
    void mixedSessionsSharingPassesEachProduceWhatTheyProduceAlone() throws Exception {
        List<GenerationResult> expected = alone(MIXED);
        EngineLoop loop = loop();
        try {
            List<Generation> running = new ArrayList<>();
            for (SessionSpec s : MIXED) running.add(start(loop, new SessionState(decoder(s.tree())), s.request(), (t, x) -> {}));
            int shared = 0;
            for (int i = 0; i < MIXED.size(); i++) {
                GenerationResult r = await(running.get(i));
                assertArrayEquals(expected.get(i).tokens(), r.tokens(), MIXED.get(i).toString());
                shared += r.stats().sharedSteps();
                assertTrue(r.stats().passShare() > 0 && r.stats().passShare() <= 1, "share " + r.stats().passShare());
                if (!MIXED.get(i).tree().equals("none")) {
                    assertEquals(expected.get(i).stats().tokensPerStep(), r.stats().tokensPerStep(), 1e-9,
                            "tokens per step of " + MIXED.get(i));
                    assertTrue(r.stats().draftedTokens() > 0);
                }
            }
            assertTrue(shared > 0, "sessions shared passes");
            assertEquals(1.0, expected.getFirst().stats().passShare(), 1e-12, "alone, a session has the whole pass");
        } finally {
            loop.shutdown();
        }
    }

    @Test
    void aSessionCancelledFailingOrFinishingMidPassLeavesTheOthersUnchanged() throws Exception {
        List<GenerationResult> expected = alone(MIXED);
        EngineLoop loop = loop();
        try {
            List<Generation> running = new ArrayList<>();
            for (SessionSpec s : MIXED) running.add(start(loop, new SessionState(decoder(s.tree())), s.request(), (t, x) -> {}));
            AtomicInteger seen = new AtomicInteger();
            Generation[] cancelled = new Generation[1];
            cancelled[0] = start(loop, new SessionState(decoder("4x3")), new SessionSpec("4x3", "The", 0.9, 1, 99, 200).request(),
                    (t, x) -> { if (seen.incrementAndGet() == 5) cancelled[0].cancel(); });
            Generation failing = start(loop, new SessionState(decoder("chain:4")),
                    new SessionSpec("chain:4", "Tom", 0.9, 1, 98, 200).request(),
                    new TokenListener() {
                        int n;
                        @Override public void onToken(int token, String text) {
                            if (++n == 4) throw new IllegalStateException("listener failed mid-pass");
                        }
                    });
            Generation shortOne = start(loop, new SessionState(decoder("dynamic:8")),
                    new SessionSpec("dynamic:8", "A cat", 0, 1, 0, 3).request(), (t, x) -> {});
            assertEquals(StopReason.CANCELLED, await(cancelled[0]).stopReason());
            assertEquals(5, await(cancelled[0]).tokens().length, "no token after the cancel");
            assertThrows(java.util.concurrent.ExecutionException.class, () -> await(failing));
            assertEquals(3, await(shortOne).tokens().length);
            for (int i = 0; i < MIXED.size(); i++) {
                assertArrayEquals(expected.get(i).tokens(), await(running.get(i)).tokens(), MIXED.get(i).toString());
            }
        } finally {
            loop.shutdown();
        }
    }

    /**
     * Makes each of the long session's passes last a few milliseconds (the listener runs on the engine thread), so
     * that the count of passes measures the engine's admission and not the test thread's scheduling on a busy
     * machine: bare passes of stories260K take ~0.1 ms, shorter than a time slice.
     */
    private static void pause() {
        try {
            Thread.sleep(3);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aJoiningSessionWaitsAtMostOnePass() throws Exception {
        EngineLoop loop = loop();
        try {
            AtomicInteger longSteps = new AtomicInteger();
            java.util.concurrent.CountDownLatch warm = new java.util.concurrent.CountDownLatch(10);
            Generation long_ = start(loop, new SessionState(decoder("none")), GenerateRequest.greedy("Once", 400),
                    (t, x) -> { longSteps.incrementAndGet(); warm.countDown(); pause(); });
            assertTrue(warm.await(TIMEOUT_S, TimeUnit.SECONDS));
            // the wait is counted on the engine thread from the moment the request reaches the loop (a pass
            // boundary), not from the test thread, whose own stalls on a loaded machine would span passes
            SessionState joiner = new SessionState(decoder("4x3"));
            AtomicInteger atFirstToken = new AtomicInteger(-1);
            AtomicInteger atEnqueue = new AtomicInteger(-1);
            Generation joining = start(loop, joiner, GenerateRequest.greedy("Lily", 8),
                    (t, x) -> atFirstToken.compareAndSet(-1, longSteps.get()), () -> atEnqueue.set(longSteps.get()));
            await(joining);
            // the next pass is the one it joins: the long session steps at most once meanwhile
            assertTrue(atFirstToken.get() - atEnqueue.get() <= 1, "the joining session waited "
                    + (atFirstToken.get() - atEnqueue.get()) + " passes");
            long_.cancel();
            await(long_);
        } finally {
            loop.shutdown();
        }
    }

    @Test
    void greedySessionsThroughTheEngineEqualGreedyAlone() {
        String[] prompts = {"Once upon a time", "The little dog", "Lily and Tom went to the park", "One day"};
        List<int[]> alone = new ArrayList<>();
        for (String p : prompts) {
            try (Session s = models.openSession()) {
                alone.add(s.generate(GenerateRequest.greedy(p, 48)).tokens());
            }
        }
        List<Session> sessions = new ArrayList<>();
        List<Generation> running = new ArrayList<>();
        for (String p : prompts) {
            Session s = models.openSession();
            sessions.add(s);
            running.add(s.generate(GenerateRequest.greedy(p, 48), null));
        }
        int shared = 0;
        for (int i = 0; i < prompts.length; i++) {
            GenerationResult r = running.get(i).await();
            assertArrayEquals(alone.get(i), r.tokens(), prompts[i]);
            shared += r.stats().sharedSteps();
        }
        assertTrue(shared > 0, "the engine shared passes");
        sessions.forEach(Session::close);
    }
}
