package dev.sequoia.engine.api;

import dev.sequoia.engine.session.StepDecoder;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * A session's sequence as the engine thread sees it: the decoder (with its KV caches), every token of the
 * conversation so far, and its turns: the generations requested and not yet ended, in request order (the head
 * is the one running; the others wait for it). The last token is the root of the next step and is not yet in
 * the caches.
 *
 * <p>Confined to the engine thread, except {@link #closeRequested} (set by any thread that closes the session,
 * read by the engine thread at every emitted token) and {@link #closed} (read by any thread).
 */
final class SessionState {
    final StepDecoder decoder;
    /** Requested, unfinished generations, oldest first; the head has started when {@link #running} is true. */
    final ArrayDeque<GenerationTask> turns = new ArrayDeque<>();
    private int[] tokens = new int[64];
    private int length;
    /** Whether the head of {@link #turns} has started (its prompt is fed). */
    boolean running;
    /** Someone asked to close the session: its generations stop at their next token, its close follows. */
    volatile boolean closeRequested;
    /** Its decoder is closed and it takes no more turns. */
    volatile boolean closed;

    SessionState(StepDecoder decoder) {
        this.decoder = decoder;
    }

    int length() { return length; }

    boolean isEmpty() { return length == 0; }

    int last() { return tokens[length - 1]; }

    int at(int index) { return tokens[index]; }

    void append(int token) {
        if (length == tokens.length) tokens = Arrays.copyOf(tokens, length * 2);
        tokens[length++] = token;
    }

    /** Forgets tokens from {@code newLength} on. */
    void truncate(int newLength) { length = newLength; }

    int[] range(int from, int to) { return Arrays.copyOfRange(tokens, from, to); }
}
