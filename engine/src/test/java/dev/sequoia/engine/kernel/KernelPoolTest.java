package dev.sequoia.engine.kernel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel thread pool: every index exactly once, worker ids in range, failures surface in the caller, small
 * loops stay on the calling thread, large ones are shared.
 */
class KernelPoolTest {
    /** Busy work of about {@code nanos} on the current thread. */
    private static void work(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) Thread.onSpinWait();
    }

    @Test
    void everyIndexRunsExactlyOnceWhenLoopsAreShared() {
        try (KernelPool pool = new KernelPool(3)) {
            for (int loop = 0; loop < 50; loop++) {
                int count = 2 + loop % 23;
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                pool.forEach(count, (worker, i) -> {
                    assertTrue(worker >= 0 && worker < 3, "worker id " + worker);
                    work(20_000); // well above the hand-off cost: the loop is shared
                    hits.incrementAndGet(i);
                });
                for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "loop " + loop + " index " + i);
            }
        }
    }

    @Test
    void smallLoopsStayOnTheCallingThread() {
        try (KernelPool pool = new KernelPool(2)) {
            int inline = 0;
            for (int loop = 0; loop < 100; loop++) {
                AtomicIntegerArray byWorker = new AtomicIntegerArray(2);
                Thread caller = Thread.currentThread();
                pool.forEach(16, (worker, i) -> {
                    if ((worker == 0) != (Thread.currentThread() == caller)) throw new AssertionError("worker 0 is the caller");
                    byWorker.incrementAndGet(worker);
                });
                if (byWorker.get(0) == 16) inline++;
            }
            // a preempted caller may time its first index long once in a while; nearly every loop stays inline
            assertTrue(inline >= 90, inline + " of 100 tiny loops ran on the caller alone");
        }
    }

    @Test
    void largeLoopsAreShared() {
        try (KernelPool pool = new KernelPool(2)) {
            AtomicIntegerArray byWorker = new AtomicIntegerArray(2);
            java.util.concurrent.CountDownLatch workerRan = new java.util.concurrent.CountDownLatch(1);
            pool.forEach(8, (worker, i) -> {
                if (i == 0) work(1_000_000); // the caller's first index: the rest is clearly worth sharing
                if (worker != 0) workerRan.countDown();
                // the caller holds its second index until a worker has taken one: proof the loop was handed off
                if (worker == 0 && i > 0) await(workerRan);
                byWorker.incrementAndGet(worker);
            });
            assertTrue(byWorker.get(1) > 0, "the worker ran none of a large loop");
            assertEquals(8, byWorker.get(0) + byWorker.get(1));
        }
    }

    @Test
    void loopsOverManyBytesStartOnEveryThreadAtOnce() {
        try (KernelPool pool = new KernelPool(2)) {
            for (int loop = 0; loop < 20; loop++) {
                // two indices that each wait for the other to begin: only a loop shared from its first index ends
                java.util.concurrent.CountDownLatch bothStarted = new java.util.concurrent.CountDownLatch(2);
                AtomicIntegerArray hits = new AtomicIntegerArray(2);
                pool.forEach(2, KernelPool.SHARE_AT_ONCE_BYTES, (worker, i) -> {
                    bothStarted.countDown();
                    await(bothStarted);
                    hits.incrementAndGet(i);
                });
                assertEquals(1, hits.get(0));
                assertEquals(1, hits.get(1));
            }
            // below the threshold the first index is timed alone: nearly every tiny loop is never handed off
            int inline = 0;
            for (int loop = 0; loop < 100; loop++) {
                AtomicIntegerArray hits = new AtomicIntegerArray(2);
                long shared = pool.loopsShared();
                pool.forEach(2, KernelPool.SHARE_AT_ONCE_BYTES - 1, (worker, i) -> hits.incrementAndGet(i));
                assertEquals(1, hits.get(0));
                assertEquals(1, hits.get(1));
                if (pool.loopsShared() == shared) inline++;
            }
            assertTrue(inline >= 90, inline + " of 100 tiny loops under the byte threshold stayed on the caller");
            long shared = pool.loopsShared();
            pool.forEach(2, KernelPool.SHARE_AT_ONCE_BYTES, (worker, i) -> { });
            assertEquals(shared + 1, pool.loopsShared(), "a loop at the threshold is handed off even when tiny");
        }
    }

    private static void await(java.util.concurrent.CountDownLatch latch) {
        try {
            if (!latch.await(10, java.util.concurrent.TimeUnit.SECONDS)) throw new AssertionError("timed out");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void runsEveryIndexExactlyOnceAcrossManyLoops() {
        try (KernelPool pool = new KernelPool(3)) {
            for (int loop = 0; loop < 200; loop++) {
                int count = 1 + loop % 37;
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                pool.forEach(count, (worker, i) -> {
                    assertTrue(worker >= 0 && worker < 3, "worker id " + worker);
                    hits.incrementAndGet(i);
                });
                for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "loop " + loop + " index " + i);
            }
        }
    }

    @Test
    void aFailingBodySurfacesInTheCallerAndThePoolStaysUsable() {
        try (KernelPool pool = new KernelPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.forEach(64, (w, i) -> {
                if (i == 40) throw new IllegalStateException("index 40 failed");
            }));
            assertEquals("index 40 failed", e.getMessage());
            // the same in a shared loop, where a worker may be the one that fails
            e = assertThrows(IllegalStateException.class, () -> pool.forEach(64, (w, i) -> {
                work(20_000);
                if (i == 40) throw new IllegalStateException("index 40 failed");
            }));
            assertEquals("index 40 failed", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            pool.forEach(10, (w, i) -> hits.incrementAndGet(i));
            for (int i = 0; i < 10; i++) assertEquals(1, hits.get(i));
        }
    }

    @Test
    void rejectsZeroThreads() {
        assertThrows(IllegalArgumentException.class, () -> new KernelPool(0));
    }
}
