package dev.sequoia.engine.api;

import dev.sequoia.engine.session.PrefixCache;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The engine thread's command ring: every command runs or fails its caller, and the thread never dies. */
class EngineLoopTest {
    private static final long TIMEOUT_S = 30;

    private static EngineLoop started() {
        EngineLoop loop = new EngineLoop(64, new PrefixCache(0, 1));
        loop.start("test-engine");
        return loop;
    }

    @Test
    void aThrowingCommandFailsItsCallerAndTheNextCommandRuns() throws Exception {
        EngineLoop loop = started();
        try {
            CompletableFuture<Object> failing = loop.call(() -> { throw new IllegalStateException("boom"); });
            var e = assertThrows(ExecutionException.class, () -> failing.get(TIMEOUT_S, TimeUnit.SECONDS));
            assertEquals("boom", e.getCause().getMessage());
            CompletableFuture<Object> error = loop.call(() -> { throw new AssertionError("an Error, not an exception"); });
            assertThrows(ExecutionException.class, () -> error.get(TIMEOUT_S, TimeUnit.SECONDS));
            assertEquals(42, loop.call(() -> 42).get(TIMEOUT_S, TimeUnit.SECONDS));
        } finally {
            loop.shutdown();
        }
    }

    @Test
    void commandsRacingTheShutdownAllRunOrFail() throws Exception {
        for (int round = 0; round < 20; round++) {
            EngineLoop loop = started();
            List<CompletableFuture<Integer>> results = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                producers.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < 200; i++) {
                        int value = i;
                        results.add(loop.call(() -> value));
                    }
                }));
            }
            go.countDown();
            loop.shutdown();
            for (Thread t : producers) t.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
            for (CompletableFuture<Integer> f : List.copyOf(results)) {
                try {
                    f.get(TIMEOUT_S, TimeUnit.SECONDS); // ran
                } catch (ExecutionException e) {
                    assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage()); // or failed
                }
            }
        }
    }

    @Test
    void aCommandAfterShutdownFailsAtOnce() {
        EngineLoop loop = started();
        loop.shutdown();
        CompletableFuture<Integer> late = loop.call(() -> 1);
        var e = assertThrows(ExecutionException.class, () -> late.get(TIMEOUT_S, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("closed"));
    }
}
