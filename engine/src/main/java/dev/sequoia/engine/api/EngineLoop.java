package dev.sequoia.engine.api;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import dev.sequoia.engine.session.PrefixCache;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one thread that runs the models. Requests from any thread reach it through a ring buffer (LMAX
 * Disruptor, multi-producer); it runs them between passes. Each pass advances the sessions that have a
 * running generation, as the {@link PassRunner} decides (round-robin, one session a pass, or every session in
 * one shared pass), so long generations cannot starve short ones.
 *
 * <p>Per session, generations run one after the other in request order (its {@link SessionState#turns}); a
 * generation joins the passes when its turn comes, between passes, so a session that joins waits at most one
 * pass; its prompt is fed in that pass (the shared runner) or just before its first step (stepping alone).
 *
 * <p>Failure containment: every command either runs or fails its caller (through the failure callback it was
 * published with), also when it throws an {@link Error} and when it is published while or after the loop shuts
 * down; a generation whose step fails is failed alone; nothing a command, a step or a listener throws ends the
 * engine thread.
 *
 * <p>Ownership: only this thread touches sessions' decoders and caches. Producers only publish commands.
 */
final class EngineLoop implements Runnable {
    /** A command slot in the ring; producers fill it, the engine thread reads and clears it. */
    static final class Slot {
        Command command;
    }

    /** Work for the engine thread and what to tell its caller if it cannot run or throws. */
    record Command(Runnable work, Consumer<Throwable> onFailure) {
        void run() {
            try {
                work.run();
            } catch (Throwable t) {
                failSafely(t);
            }
        }

        void failSafely(Throwable t) {
            try {
                onFailure.accept(t);
            } catch (Throwable ignored) {
                // the caller's failure callback failed too: nothing is left to tell
            }
        }
    }

    /** How the active sessions advance in one pass. */
    interface PassRunner {
        /**
         * Advances some or all of {@code sessions} (each has a running generation, at the head of its turns) by
         * one step; returns the sessions whose generation ended (completed or failed) in this pass.
         */
        List<SessionState> run(List<SessionState> sessions);
    }

    private final RingBuffer<Slot> ring;
    private final EventPoller<Slot> poller;
    /** Commands the engine thread gave itself (a listener closing its session): run at the next boundary. */
    private final ArrayDeque<Command> local = new ArrayDeque<>();
    /** Sessions with a running generation, in the order they joined. */
    private final List<SessionState> active = new ArrayList<>();
    private final PrefixCache prefixCache;
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** Publishing takes the read lock; shutting down takes the write lock, so no command slips past it. */
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private boolean accepting = true; // guarded by gate
    private volatile boolean running = true;
    private volatile Thread thread;
    private PassRunner passRunner = this::roundRobin;

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

    /** Replaces how passes advance the sessions (call before the first generation). */
    void passRunner(PassRunner runner) { this.passRunner = runner; }

    /**
     * Runs {@code work} on the engine thread after the commands published before it; if it throws, or cannot run
     * because the loop has shut down, {@code onFailure} gets the reason (on the engine thread, or on the caller's
     * when the loop is closed). From the engine thread itself, the work runs at the next pass boundary.
     */
    void submit(Runnable work, Consumer<Throwable> onFailure) {
        Command command = new Command(work, onFailure);
        if (isEngineThread()) {
            local.addLast(command);
            return;
        }
        gate.readLock().lock();
        try {
            if (!accepting) {
                command.failSafely(closed());
                return;
            }
            long seq = ring.next();
            try {
                ring.get(seq).command = command;
            } finally {
                ring.publish(seq);
            }
        } finally {
            gate.readLock().unlock();
        }
        LockSupport.unpark(thread);
    }

    /** Runs {@code work} on the engine thread; the future completes with its result or its failure. */
    <T> CompletableFuture<T> call(Supplier<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        submit(() -> result.complete(work.get()), result::completeExceptionally);
        return result;
    }

    private static IllegalStateException closed() { return new IllegalStateException("the engine is closed"); }

    /** Whether {@link #shutdown} has begun: commands are refused from then on. */
    boolean isShutDown() {
        gate.readLock().lock();
        try {
            return !accepting;
        } finally {
            gate.readLock().unlock();
        }
    }

    boolean isEngineThread() { return Thread.currentThread() == thread; }

    // ---- commands (engine thread)

    /** Queues a generation behind its session's earlier ones; it starts when their turn is over. */
    void enqueue(GenerationTask task) {
        SessionState session = task.session();
        if (session.closed || session.closeRequested) {
            // accepted by generate() before the close, which overtook it on its way here: like a turn still
            // waiting when its session closes, it ends unstarted as cancelled (a request made after the close
            // is refused by generate() itself)
            task.cancelUnstarted();
            return;
        }
        if (!running) {
            task.handle().fail(closed());
            return;
        }
        session.turns.addLast(task);
        if (!session.running) startNextTurn(session);
    }

    /** Starts the session's oldest waiting generation (skipping cancelled or failing ones); joins the pass. */
    private void startNextTurn(SessionState session) {
        while (!session.turns.isEmpty()) {
            GenerationTask task = session.turns.peekFirst();
            if (task.cancelled()) {
                session.turns.pollFirst();
                task.cancelUnstarted();
                continue;
            }
            try {
                task.start(prefixCache);
                session.running = true;
                active.add(session);
                return;
            } catch (Throwable e) {
                session.turns.pollFirst();
                task.handle().fail(e);
            }
        }
    }

    /** After the session's running generation ended: the next turn starts, or it leaves the pass. */
    private void turnEnded(SessionState session) {
        session.turns.pollFirst();
        session.running = false;
        active.remove(session);
        if (!session.closed) startNextTurn(session);
    }

    /**
     * Ends every generation of {@code session} (the running one as cancelled at this boundary, the waiting ones
     * unstarted), closes its decoder and runs {@code then}. Idempotent.
     */
    void close(SessionState session, Runnable then) {
        if (!session.closed) {
            session.closeRequested = true;
            session.closed = true;
            if (session.running) {
                GenerationTask head = session.turns.pollFirst();
                session.running = false;
                active.remove(session);
                head.finish(StopReason.CANCELLED);
            }
            for (GenerationTask waiting : session.turns) waiting.cancelUnstarted();
            session.turns.clear();
            session.decoder.close();
        }
        then.run();
    }

    // ---- the loop

    @Override
    public void run() {
        try {
            while (running || !active.isEmpty()) {
                boolean polled = pollCommands();
                if (!running) cancelAll();
                if (!active.isEmpty()) {
                    runPass();
                } else if (!polled && running) {
                    LockSupport.parkNanos(200_000);
                }
            }
        } finally {
            failRemaining();
            stopped.countDown();
        }
    }

    private boolean pollCommands() {
        boolean[] any = {false};
        try {
            poller.poll((slot, sequence, endOfBatch) -> {
                Command command = slot.command;
                slot.command = null;
                any[0] = true;
                command.run();
                return true;
            });
        } catch (Exception e) {
            // Command.run catches everything; this is the poller's own failure, which would be a bug
            throw new IllegalStateException("the engine's command ring failed", e);
        }
        for (Command c; (c = local.pollFirst()) != null; ) {
            any[0] = true;
            c.run();
        }
        return any[0];
    }

    private void runPass() {
        List<SessionState> ended;
        try {
            ended = passRunner.run(List.copyOf(active));
        } catch (Throwable t) {
            // a pass runner contains its sessions' failures; if it failed itself, fail them all
            ended = new ArrayList<>();
            for (SessionState s : List.copyOf(active)) {
                s.turns.peekFirst().fail(t);
                ended.add(s);
            }
        }
        for (SessionState s : ended) turnEnded(s);
    }

    /** One session a pass, the one that waited longest: the plain round-robin. */
    private List<SessionState> roundRobin(List<SessionState> sessions) {
        SessionState session = sessions.getFirst();
        active.remove(session);
        active.add(session); // to the back of the line
        return stepAlone(session) ? List.of() : List.of(session);
    }

    /** One step of a session's running generation on its own; returns whether it goes on. */
    static boolean stepAlone(SessionState session) {
        GenerationTask task = session.turns.peekFirst();
        try {
            return task.step();
        } catch (Throwable e) {
            task.fail(e);
            return false;
        }
    }

    private void cancelAll() {
        for (SessionState s : active) {
            for (GenerationTask t : s.turns) t.handle().cancel();
        }
    }

    /** After the loop: whatever is still queued fails with "closed" (nothing can be published any more). */
    private void failRemaining() {
        try {
            poller.poll((slot, sequence, endOfBatch) -> {
                Command command = slot.command;
                slot.command = null;
                command.failSafely(closed());
                return true;
            });
        } catch (Exception e) {
            // nothing more can be done for them
        }
        for (Command c; (c = local.pollFirst()) != null; ) c.failSafely(closed());
    }

    /** Stops the loop after cancelling what runs; waits for the thread. Commands published later fail. */
    void shutdown() {
        boolean first;
        gate.writeLock().lock();
        try {
            first = accepting;
            accepting = false;
        } finally {
            gate.writeLock().unlock();
        }
        if (first) {
            long seq = ring.next();
            try {
                ring.get(seq).command = new Command(() -> running = false, t -> {});
            } finally {
                ring.publish(seq);
            }
            LockSupport.unpark(thread);
        }
        if (isEngineThread()) return; // cannot wait for itself
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
