package dev.sequoia.engine.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed pool of platform threads that runs one parallel loop at a time for the kernels.
 *
 * <p>Concurrency: one caller thread at a time calls {@link #forEach} (the engine thread). It runs the first
 * index itself and times it: when the rest of the loop would take less than a hand-off costs (waking
 * workers, moving cache lines, joining), it finishes the loop alone. Otherwise it publishes the loop through
 * the volatile {@code generation} and works on it as worker 0. Loop indices are handed out through an atomic
 * counter, so a worker that lost its core to another process does not hold the others back. A loop the
 * caller says reads many bytes (a weight matrix) skips the timing and is shared from its first index.
 *
 * <p>Joining: a worker takes part in a loop only by entering {@code joined} while the loop is open; when the
 * caller has run out of indices it closes the loop and waits only for the workers inside, spinning briefly
 * and then parking until the last one leaves and wakes it. A worker that was descheduled and arrives late
 * finds the loop closed and goes back to waiting, so a busy machine costs the loop a worker, not a time slice.
 * Workers spin briefly between loops (a forward pass issues hundreds of them back to back) and then park
 * until the next loop wakes them. Closing stops and joins the workers.
 */
public final class KernelPool implements AutoCloseable {
    /** The body of a parallel loop: called once per index, with the id of the worker running it. */
    @FunctionalInterface
    public interface Body {
        void run(int worker, int index);
    }

    /** Work below which a loop stays on the calling thread: about what waking, sharing and joining cost. */
    static final long HANDOFF_NANOS = 25_000;
    /** Weights a loop must read to share it without timing its first index: about 25 us at 20 GB/s. */
    static final long SHARE_AT_ONCE_BYTES = 512 * 1024;
    /** How long a worker spins for the next loop before parking. */
    private static final long WORKER_SPIN_NANOS = 50_000;
    /** How long the caller spins for workers still inside a loop before parking. */
    private static final long CALLER_SPIN_NANOS = 20_000;
    /** Added to {@code joined} when a loop closes: no worker may enter it any more. */
    private static final int CLOSED_FOR_JOINING = 1 << 30;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger next = new AtomicInteger();
    /** Workers inside the current loop, plus CLOSED_FOR_JOINING once it is closed. */
    private final AtomicInteger joined = new AtomicInteger(CLOSED_FOR_JOINING);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** The caller while it is parked waiting for workers to leave a loop, else null. */
    private volatile Thread waiter;
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

    /** How many loops were handed to the workers so far (tests: which loops stayed on the caller). */
    long loopsShared() { return generation; }

    /** Runs {@code body} for every index in {@code [0, count)} across all threads and returns when all are done. */
    public void forEach(int count, Body body) {
        forEach(count, 0, body);
    }

    /**
     * As {@link #forEach(int, Body)} for a loop that reads {@code bytes} of weights. From {@link #SHARE_AT_ONCE_BYTES}
     * on, the loop is known to be worth sharing and the workers start at once: timing the first index alone
     * first would leave the other threads idle for a {@code 1/count} of it (measured on a Q4_K_M decode with
     * 16 tasks per matrix: 5% of the tokens/s).
     */
    public void forEach(int count, long bytes, Body body) {
        if (closed) throw new IllegalStateException("kernel pool is closed");
        if (count <= 0) return;
        if (bytes >= SHARE_AT_ONCE_BYTES && threads > 1 && count > 1) {
            runShared(count, body, 0);
            return;
        }
        long start = System.nanoTime();
        body.run(0, 0);
        if (threads == 1 || (System.nanoTime() - start) * (count - 1) < HANDOFF_NANOS) {
            for (int i = 1; i < count; i++) body.run(0, i); // too little left to pay for a hand-off
            return;
        }
        runShared(count, body, 1);
    }

    /** Indices first .. count-1 across the caller and whichever workers join in time. */
    private void runShared(int count, Body body, int first) {
        this.body = body;
        this.count = count;
        next.set(first);
        joined.set(0); // open: body, count and next above are visible to every worker that enters
        generation++;
        for (Thread t : workers) LockSupport.unpark(t);
        try {
            drain(0, body, count);
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            next.set(Integer.MAX_VALUE / 2);
        }
        joined.addAndGet(CLOSED_FOR_JOINING);
        awaitWorkersInside();
        this.body = null;
        Throwable t = failure.getAndSet(null);
        if (t instanceof RuntimeException e) throw e;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException("kernel loop failed: " + t, t);
    }

    /** Waits until every worker that entered the closed loop has left it: a short spin, then parking. */
    private void awaitWorkersInside() {
        long start = System.nanoTime();
        while (joined.get() != CLOSED_FOR_JOINING) {
            if (System.nanoTime() - start < CALLER_SPIN_NANOS) {
                Thread.onSpinWait();
                continue;
            }
            waiter = Thread.currentThread();
            // recheck after publishing the waiter: the last worker out reads it after its own decrement
            if (joined.get() != CLOSED_FOR_JOINING) LockSupport.parkNanos(this, 1_000_000);
            waiter = null;
        }
    }

    private void drain(int worker, Body b, int n) {
        for (int i; (i = next.getAndIncrement()) < n; ) b.run(worker, i);
    }

    private void workLoop(int id) {
        long seen = 0;
        while (true) {
            seen = awaitGeneration(seen);
            if (closed) return;
            if (!enter()) continue; // the caller finished this loop without us
            try {
                drain(id, body, count);
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                next.set(Integer.MAX_VALUE / 2); // stop handing out indices
            } finally {
                leave();
            }
        }
    }

    /** Enters the current loop unless it is closed. */
    private boolean enter() {
        for (int v; (v = joined.get()) < CLOSED_FOR_JOINING; ) {
            if (joined.compareAndSet(v, v + 1)) return true;
        }
        return false;
    }

    private void leave() {
        if (joined.decrementAndGet() == CLOSED_FOR_JOINING) {
            Thread w = waiter;
            if (w != null) LockSupport.unpark(w);
        }
    }

    private long awaitGeneration(long seen) {
        long start = System.nanoTime();
        long g;
        while ((g = generation) == seen && !closed) {
            if (System.nanoTime() - start < WORKER_SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this); // the caller unparks every worker when it publishes a loop
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
