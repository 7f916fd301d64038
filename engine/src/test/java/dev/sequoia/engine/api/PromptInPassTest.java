package dev.sequoia.engine.api;

import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.sampling.SamplingParams;
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
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Prompts ride the shared pass (issue 18), on the real pair: a session that joins feeds its prompt in its first
 * round's own forwards, ahead of its tree, in chunks of {@link #CHUNK} tokens here (so that short prompts take
 * several passes), and its output is token for token what the prefill path gives it alone (its prompt fed by
 * the decoder's own prefill, then its steps: the round-robin loop); the target's weight passes, counted at its
 * layer source, are the sessions' steps and nothing more; a cancel or a failure in a pass that carries a
 * prompt leaves the other sessions as they were and the session consistent for its next turn.
 */
class PromptInPassTest {
    private static final long TIMEOUT_S = 120;
    private static final int CHUNK = 7;
    private static final String LONG_PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play "
            + "outside in the park with her big red ball and her little brown dog";
    private static Engine models;

    @BeforeAll
    static void open() {
        models = Engine.open(EngineConfig.builder(Fixtures.targetSpec()).draft(Fixtures.draftSpec()).tree("4x2").threads(2).build());
    }

    @AfterAll
    static void close() {
        if (models != null) models.close();
    }

    /** The target's layers, counting the weight passes; a pass can be made to fail once, at its third layer. */
    static final class CountingLayers implements LayerSource {
        final LayerSource inner;
        final AtomicInteger passes = new AtomicInteger();
        volatile int failPass = -1;

        CountingLayers(LayerSource inner) {
            this.inner = inner;
        }

        @Override
        public void beginPass() {
            passes.incrementAndGet();
            inner.beginPass();
        }

        @Override
        public LayerWeights acquire(int layer) {
            if (layer == 2 && passes.get() == failPass) throw new IllegalStateException("injected read error in pass " + failPass);
            return inner.acquire(layer);
        }

        @Override public void release(int layer) { inner.release(layer); }
        @Override public void endPass() { inner.endPass(); }
    }

    private static StepDecoder decoder(String tree, LayerSource layers) {
        LlamaTransformer target = models.targetTransformer();
        if (tree.equals("none")) return new AutoregressiveDecoder(target, layers, 512);
        return new SpeculativeStepDecoder(target, layers, models.draftTransformer(),
                TreeProvider.fixed(TreeSpec.parse(tree, 0)), 512);
    }

    /** The engine's loop with prompts fed in the shared passes, {@link #CHUNK} tokens per pass. */
    private static EngineLoop shared() {
        EngineLoop loop = new EngineLoop(64, new PrefixCache(0, 1));
        loop.passRunner(new SharedPassRunner(null, CHUNK));
        loop.start("prompt-in-pass-test");
        return loop;
    }

    /** The round-robin loop: a prompt is fed by the decoder's own prefill, then the session steps alone. */
    private static EngineLoop prefillPath() {
        EngineLoop loop = new EngineLoop(64, new PrefixCache(0, 1));
        loop.start("prefill-path-test");
        return loop;
    }

    /** A generation ready to be enqueued (from any thread, or from a listener on the engine thread). */
    record Pending(GenerationTask task, Generation handle) {
        void enqueue(EngineLoop loop) { loop.submit(() -> loop.enqueue(task), handle::fail); }
    }

    private static Pending pending(SessionState session, GenerateRequest request, TokenListener listener) {
        Generation handle = new Generation();
        GenerationTask task = new GenerationTask(session, request, handle, listener, models.tokenizer(),
                new int[]{models.tokenizer().bos(), models.tokenizer().eos()}, () -> PassTelemetry.NONE);
        return new Pending(task, handle);
    }

    private static GenerationResult await(Generation g) throws Exception {
        return g.result().get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    /** Each spec alone on the prefill path, in a fresh session. */
    private static List<GenerationResult> alone(List<SessionSpec> specs) throws Exception {
        List<GenerationResult> out = new ArrayList<>();
        EngineLoop loop = prefillPath();
        try {
            for (SessionSpec s : specs) {
                Pending p = pending(new SessionState(decoder(s.tree(), models.targetLayers())), s.request(), (t, x) -> {});
                p.enqueue(loop);
                out.add(await(p.handle()));
            }
        } finally {
            loop.shutdown();
        }
        return out;
    }

    /** A listener that runs {@code atToken} with the count of tokens emitted so far, on the engine thread. */
    private static TokenListener counting(IntConsumer atToken) {
        AtomicInteger n = new AtomicInteger();
        return (t, x) -> atToken.accept(n.incrementAndGet());
    }

    private static final SessionSpec RUNNER = SessionSpec.greedy("none", "Once upon a time", 60);

    @Test
    void sessionsJoiningMidRunWithPromptsOfDifferentLengthsEqualThePrefillPathAlone() throws Exception {
        List<SessionSpec> joiners = List.of(
                SessionSpec.greedy("4x3", LONG_PROMPT, 30),
                new SessionSpec("chain:5", "Lily", 0.8, 1, 11, 30),
                new SessionSpec("dynamic:16", "The little dog was very happy because he found a bone", 1.0, 1, 12, 30),
                new SessionSpec("none", "One day, a boy named Tom went to the park with his mom and", 0.7, 0.9, 13, 30),
                SessionSpec.greedy("2x2", "She said", 30));
        int[] joinAt = {3, 3, 8, 8, 12}; // the runner's token after which each joins (two join together, twice)
        List<SessionSpec> all = new ArrayList<>(joiners);
        all.addFirst(RUNNER);
        List<GenerationResult> expected = alone(all);
        assertTrue(expected.getFirst().tokens().length > 12, "the running session outlives the joins");
        assertTrue(expected.get(1).promptTokens().length > 4 * CHUNK, "a prompt that takes several passes");

        EngineLoop loop = shared();
        try {
            List<Pending> joining = new ArrayList<>();
            for (SessionSpec s : joiners) {
                joining.add(pending(new SessionState(decoder(s.tree(), models.targetLayers())), s.request(), (t, x) -> {}));
            }
            Pending runner = pending(new SessionState(decoder(RUNNER.tree(), models.targetLayers())), RUNNER.request(),
                    counting(n -> {
                        for (int i = 0; i < joining.size(); i++) if (joinAt[i] == n) joining.get(i).enqueue(loop);
                    }));
            runner.enqueue(loop);
            assertArrayEquals(expected.getFirst().tokens(), await(runner.handle()).tokens(), "the running session");
            for (int i = 0; i < joiners.size(); i++) {
                GenerationResult r = await(joining.get(i).handle());
                assertArrayEquals(expected.get(i + 1).tokens(), r.tokens(), joiners.get(i).toString());
                assertEquals(expected.get(i + 1).stats().tokensPerStep(), r.stats().tokensPerStep(), 1e-9,
                        "tokens per step of " + joiners.get(i));
                assertTrue(r.stats().sharedSteps() > 0, "it shared passes: " + joiners.get(i));
            }
        } finally {
            loop.shutdown();
        }
    }

    @Test
    void promptsCostNoWeightPassOfTheirOwn() throws Exception {
        List<SessionSpec> specs = List.of(SessionSpec.greedy("4x3", "Lily", 20), SessionSpec.greedy("none", "Once upon a time there was", 24),
                SessionSpec.greedy("chain:4", LONG_PROMPT, 16), SessionSpec.greedy("2x2", "The little dog", 18));
        // shared: every session joins the first pass and takes part in every pass until it ends, so the passes
        // are the most any session needed: its feed-only passes (a prompt's chunks but the last) and its steps
        CountingLayers sharedLayers = new CountingLayers(models.targetLayers());
        List<GenerationResult> shared = runTogether(shared(), specs, sharedLayers);
        int needed = 0;
        for (GenerationResult r : shared) {
            int feedOnly = (r.promptTokens().length - 1 + CHUNK - 1) / CHUNK - 1;
            needed = Math.max(needed, feedOnly + r.stats().targetForwards());
        }
        assertEquals(needed, sharedLayers.passes.get(), "weight passes with the prompts in the shared passes");

        // the prefill path, counted the same way, sees one pass per prompt besides the steps
        CountingLayers prefillLayers = new CountingLayers(models.targetLayers());
        List<GenerationResult> prefilled = runTogether(prefillPath(), specs, prefillLayers);
        int steps = 0;
        for (int i = 0; i < specs.size(); i++) {
            assertArrayEquals(prefilled.get(i).tokens(), shared.get(i).tokens(), specs.get(i).toString());
            steps += prefilled.get(i).stats().targetForwards();
        }
        assertEquals(steps + specs.size(), prefillLayers.passes.get(), "round robin: a prefill pass per prompt");
    }

    /** The specs' sessions enqueued by one command (so they join the same pass), over {@code layers}. */
    private static List<GenerationResult> runTogether(EngineLoop loop, List<SessionSpec> specs, LayerSource layers) throws Exception {
        try {
            List<Pending> pending = new ArrayList<>();
            for (SessionSpec s : specs) pending.add(pending(new SessionState(decoder(s.tree(), layers)), s.request(), (t, x) -> {}));
            loop.submit(() -> pending.forEach(p -> loop.enqueue(p.task())), e -> pending.forEach(p -> p.handle().fail(e)));
            List<GenerationResult> out = new ArrayList<>();
            for (Pending p : pending) out.add(await(p.handle()));
            return out;
        } finally {
            loop.shutdown();
        }
    }

    @Test
    void aFailureInThePassThatCarriesAPromptFailsThatSessionAloneAndRollsItsPromptBack() throws Exception {
        SessionSpec failing = SessionSpec.greedy("4x3", "The little dog", 12);
        SessionSpec listenerFails = SessionSpec.greedy("chain:4", "Lily", 12);
        List<GenerationResult> expected = alone(List.of(RUNNER, failing));
        EngineLoop loop = shared();
        try {
            // its own layer source: its forwards run apart from the runner's, and its first one fails
            CountingLayers failingLayers = new CountingLayers(models.targetLayers());
            failingLayers.failPass = 1;
            SessionState failingSession = new SessionState(decoder(failing.tree(), failingLayers));
            Pending failed = pending(failingSession, failing.request(), (t, x) -> {});
            Pending thrown = pending(new SessionState(decoder(listenerFails.tree(), models.targetLayers())),
                    listenerFails.request(), (t, x) -> { throw new IllegalStateException("listener failed at its first token"); });
            Pending runner = pending(new SessionState(decoder(RUNNER.tree(), models.targetLayers())), RUNNER.request(),
                    counting(n -> {
                        if (n == 3) {
                            failed.enqueue(loop);
                            thrown.enqueue(loop);
                        }
                    }));
            runner.enqueue(loop);
            assertArrayEquals(expected.getFirst().tokens(), await(runner.handle()).tokens(), "the running session");
            var e = assertThrows(ExecutionException.class, () -> await(failed.handle()));
            assertTrue(e.getCause().getMessage().contains("injected read error"), e.getCause().toString());
            assertThrows(ExecutionException.class, () -> await(thrown.handle()));
            // the failed turn's prompt went with it: the same request again is a fresh session's first turn
            Pending again = pending(failingSession, failing.request(), (t, x) -> {});
            again.enqueue(loop);
            assertArrayEquals(expected.get(1).tokens(), await(again.handle()).tokens());
        } finally {
            loop.shutdown();
        }
    }

    @Test
    void aSessionCancelledWhileItsPromptIsFedKeepsItForItsNextTurn() throws Exception {
        List<GenerationResult> expected = alone(List.of(RUNNER));
        EngineLoop loop = shared();
        try {
            SessionState longSession = new SessionState(decoder("4x3", models.targetLayers()));
            SessionState shortSession = new SessionState(decoder("chain:4", models.targetLayers()));
            Pending longOne = pending(longSession, SessionSpec.greedy("4x3", LONG_PROMPT, 30).request(), (t, x) -> {});
            Pending shortOne = pending(shortSession, SessionSpec.greedy("chain:4", "Lily", 30).request(), (t, x) -> {});
            Pending runner = pending(new SessionState(decoder(RUNNER.tree(), models.targetLayers())), RUNNER.request(),
                    counting(n -> {
                        if (n == 3) {
                            longOne.enqueue(loop);
                            shortOne.enqueue(loop);
                        }
                        // the runner emits before the joiners in each pass: the long prompt has had two of its
                        // chunks fed; the short one is in the pass that carries its prompt and first step
                        if (n == 5) longOne.handle().cancel();
                        if (n == 4) shortOne.handle().cancel();
                    }));
            runner.enqueue(loop);
            assertArrayEquals(expected.getFirst().tokens(), await(runner.handle()).tokens(), "the running session");
            GenerationResult cut = await(longOne.handle());
            assertEquals(StopReason.CANCELLED, cut.stopReason());
            assertEquals(0, cut.tokens().length);
            assertTrue(longSession.decoder.committed() < cut.promptTokens().length - 1, "cancelled mid-prompt");
            GenerationResult cutShort = await(shortOne.handle());
            assertEquals(StopReason.CANCELLED, cutShort.stopReason());
            assertEquals(1, cutShort.tokens().length, "the first token of the pass that fed its prompt, then the cancel");

            for (var session : List.of(new Object[]{longSession, "4x3", cut}, new Object[]{shortSession, "chain:4", cutShort})) {
                SessionState s = (SessionState) session[0];
                GenerationResult first = (GenerationResult) session[2];
                Pending next = pending(s, GenerateRequest.greedy(" and then they", 20), (t, x) -> {});
                next.enqueue(loop);
                GenerationResult second = await(next.handle());
                int[] sequence = concat(first.promptTokens(), first.tokens(), second.promptTokens());
                assertArrayEquals(greedyAfter((String) session[1], sequence, 20), second.tokens(), (String) session[1]);
            }
        } finally {
            loop.shutdown();
        }
    }

    /** Greedy continuation of {@code sequence} by a fresh decoder: its own prefill, then its steps alone. */
    private static int[] greedyAfter(String tree, int[] sequence, int n) {
        StepDecoder d = decoder(tree, models.targetLayers());
        d.feed(Arrays.copyOf(sequence, sequence.length - 1));
        int root = sequence[sequence.length - 1];
        List<Integer> out = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(0);
        while (true) {
            for (int t : d.step(root, SamplingParams.greedy(), random).tokens()) {
                out.add(t);
                root = t;
                if (out.size() == n || t == models.tokenizer().eos() || t == models.tokenizer().bos()) {
                    return out.stream().mapToInt(Integer::intValue).toArray();
                }
            }
        }
    }

    private static int[] concat(int[]... parts) {
        int[] out = new int[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
