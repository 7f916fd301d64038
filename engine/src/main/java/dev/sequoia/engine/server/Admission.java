package dev.sequoia.engine.server;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the work in the server: at most {@code maxRunning} generations on the engine, at most {@code maxWaiting}
 * requests queued behind them (each waits on its own virtual thread); one more is refused (the caller answers
 * 429 with Retry-After). Fair: queued requests get slots in arrival order.
 *
 * <p>Threading: any request thread; counters are atomic.
 */
final class Admission {
    private final Semaphore running;
    private final int maxRunning;
    private final int maxWaiting;
    private final AtomicInteger waiting = new AtomicInteger();

    Admission(int maxRunning, int maxWaiting) {
        this.running = new Semaphore(maxRunning, true);
        this.maxRunning = maxRunning;
        this.maxWaiting = maxWaiting;
    }

    /** A running slot, waiting for one if the queue has room; null when the queue is full. */
    Slot enter() throws InterruptedException {
        if (running.tryAcquire()) return new Slot();
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            return null;
        }
        try {
            running.acquire();
        } finally {
            waiting.decrementAndGet();
        }
        return new Slot();
    }

    int running() { return maxRunning - running.availablePermits(); }

    int waiting() { return waiting.get(); }

    /** A held running slot; closing it (once) lets the next request in. */
    final class Slot implements AutoCloseable {
        private boolean released;

        @Override
        public void close() {
            if (released) return;
            released = true;
            running.release();
        }
    }
}
