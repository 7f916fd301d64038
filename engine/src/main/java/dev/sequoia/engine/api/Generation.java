package dev.sequoia.engine.api;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A running (or finished) generation: wait for its result, iterate over its tokens as they come, or cancel
 * it. Cancelling stops it before its next decoding step.
 *
 * <p>Threading: the engine thread publishes tokens and completes it; any thread may read or cancel.
 */
public final class Generation {
    private static final Object END = new Object();

    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private final BlockingQueue<Object> stream = new LinkedBlockingQueue<>();
    private volatile boolean cancelled;

    Generation() {}

    /** Asks the engine to stop this generation; it ends with {@link StopReason#CANCELLED} within one step. */
    public void cancel() { cancelled = true; }

    public boolean isCancelled() { return cancelled; }

    public CompletableFuture<GenerationResult> result() { return result; }

    /** Blocks until the generation ends and returns its result. */
    public GenerationResult await() {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a generation", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The generated token ids, blocking until each arrives; ends when the generation does. */
    public Iterator<Integer> tokens() {
        return new Iterator<>() {
            private Object next;

            @Override
            public boolean hasNext() {
                if (next == null) next = take();
                return next != END;
            }

            @Override
            public Integer next() {
                if (!hasNext()) throw new NoSuchElementException();
                Integer token = (Integer) next;
                next = null;
                return token;
            }
        };
    }

    private Object take() {
        try {
            Object o = stream.take();
            if (o == END) stream.add(END); // later iterators end too
            return o;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return END;
        }
    }

    void publish(int token) { stream.add(token); }

    void complete(GenerationResult r) {
        stream.add(END);
        result.complete(r);
    }

    void fail(Throwable t) {
        stream.add(END);
        result.completeExceptionally(t);
    }
}
