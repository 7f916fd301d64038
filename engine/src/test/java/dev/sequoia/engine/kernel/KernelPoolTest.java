package dev.sequoia.engine.kernel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel thread pool: every index exactly once, worker ids in range, failures surface in the caller. */
class KernelPoolTest {
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
