package dev.sequoia.engine.api;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import dev.sequoia.engine.session.PrefixCache;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * The one thread that runs the models. Requests from any thread reach it through a ring buffer (LMAX
 * Disruptor, multi-producer); it polls the ring between steps and serves the active generations
 * round-robin, one decoding step each, so long generations cannot starve short ones.
 *
 * <p>Ownership: only this thread touches sessions' decoders and caches. Producers only publish commands.
 */
final class EngineLoop implements Runnable {
    /** A command slot in the ring; producers fill it, the engine thread reads and clears it. */
    static final class Slot {
        Runnable command;
    }

    private final RingBuffer<Slot> ring;
    private final EventPoller<Slot> poller;
    private final ArrayDeque<GenerationTask> active = new ArrayDeque<>();
    private final PrefixCache prefixCache;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile Thread thread;

    EngineLoop(int ringSize, PrefixCache prefixCache) {
        this.ring = RingBuffer.createMultiProducer(Slot::new, ringSize);
        this.poller = ring.newPoller();
        ring.addGatingSequences(poller.getSequence());
        this.prefixCache = prefixCache;
    }

    void start(String name) {
        Thread t = new Thread(this, name);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** Runs {@code command} on the engine thread, after the commands published before it. */
    void submit(Runnable command) {
        if (!running) throw new IllegalStateException("the engine is closed");
        long seq = ring.next();
        try {
            ring.get(seq).command = command;
        } finally {
            ring.publish(seq);
        }
        LockSupport.unpark(thread);
    }

    /** Starts a generation: its prompt is fed now, its steps interleave with the others'. */
    void startGeneration(GenerationTask task) {
        try {
            task.start(prefixCache);
            active.addLast(task);
        } catch (RuntimeException e) {
            task.handle().fail(e);
        }
    }

    /** Cancels the active generations of a session and runs {@code then} (closing it, say). */
    void endGenerations(SessionState session, Runnable then) {
        for (Iterator<GenerationTask> it = active.iterator(); it.hasNext(); ) {
            GenerationTask task = it.next();
            if (task.session() == session) {
                task.handle().cancel();
                task.step(); // completes it as cancelled
                it.remove();
            }
        }
        then.run();
    }

    boolean isEngineThread() { return Thread.currentThread() == thread; }

    @Override
    public void run() {
        try {
            while (running || !active.isEmpty()) {
                boolean polled = pollCommands();
                if (!active.isEmpty()) {
                    stepNext();
                } else if (!polled && running) {
                    LockSupport.parkNanos(200_000);
                }
                if (!running) cancelAll();
            }
        } finally {
            stopped.countDown();
        }
    }

    private boolean pollCommands() {
        boolean[] any = {false};
        try {
            poller.poll((slot, sequence, endOfBatch) -> {
                Runnable command = slot.command;
                slot.command = null;
                any[0] = true;
                command.run();
                return true;
            });
        } catch (Exception e) {
            throw new IllegalStateException("engine command failed", e);
        }
        return any[0];
    }

    private void stepNext() {
        GenerationTask task = active.pollFirst();
        try {
            if (task.step()) active.addLast(task);
        } catch (RuntimeException | Error e) {
            task.abort();
            task.handle().fail(e);
        }
    }

    private void cancelAll() {
        for (GenerationTask task : active) task.handle().cancel();
    }

    /** Stops the loop after cancelling what runs; waits for the thread. */
    void shutdown() {
        if (!running) return;
        submit(() -> running = false);
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
