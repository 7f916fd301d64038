package dev.sequoia.engine.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed pool of platform threads that runs one parallel loop at a time for the kernels.
 *
 * <p>Concurrency: one caller thread at a time calls {@link #forEach} (the engine thread); it publishes the
 * loop through the volatile {@code generation}, works on it itself as worker 0, and waits until the
 * {@code threads - 1} pool workers have finished. Loop indices are handed out through an atomic counter, so
 * a worker that lost its core to another process does not hold the others back. Workers spin briefly
 * between loops (a forward pass issues hundreds of them back to back) and then park. Closing stops and
 * joins the workers.
 */
public final class KernelPool implements AutoCloseable {
    /** The body of a parallel loop: called once per index, with the id of the worker running it. */
    @FunctionalInterface
    public interface Body {
        void run(int worker, int index);
    }

    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile Body body;
    private volatile int count;
    private volatile long generation;
    private volatile boolean closed;

    public KernelPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("kernel threads must be at least 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int id = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("sequoia-kernel-" + id).unstarted(() -> workLoop(id));
            workers[i].start();
        }
    }

    public int threads() { return threads; }

    /** Runs {@code body} for every index in {@code [0, count)} across all threads and returns when all are done. */
    public void forEach(int count, Body body) {
        if (closed) throw new IllegalStateException("kernel pool is closed");
        if (threads == 1 || count == 1) {
            for (int i = 0; i < count; i++) body.run(0, i);
            return;
        }
        this.body = body;
        this.count = count;
        next.set(0);
        running.set(workers.length);
        generation++; // publishes body and count
        for (Thread t : workers) LockSupport.unpark(t);
        try {
            drain(0, body, count);
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            next.set(Integer.MAX_VALUE / 2);
        }
        while (running.get() > 0) Thread.onSpinWait();
        this.body = null;
        Throwable t = failure.getAndSet(null);
        if (t instanceof RuntimeException e) throw e;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException("kernel loop failed: " + t, t);
    }

    private void drain(int worker, Body b, int n) {
        for (int i; (i = next.getAndIncrement()) < n; ) b.run(worker, i);
    }

    private void workLoop(int id) {
        long seen = 0;
        while (true) {
            long g = awaitGeneration(seen);
            if (closed) return;
            seen = g;
            try {
                drain(id, body, count);
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                next.set(Integer.MAX_VALUE / 2); // stop handing out indices
            } finally {
                running.decrementAndGet();
            }
        }
    }

    private long awaitGeneration(long seen) {
        long start = System.nanoTime();
        int spins = 0;
        long g;
        while ((g = generation) == seen && !closed) {
            if (++spins < 1024 || System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 1_000_000);
            }
        }
        return g;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Thread t : workers) LockSupport.unpark(t);
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
