package dev.sequoia.engine.api;

import dev.sequoia.engine.session.StepDecoder;

import java.util.Arrays;

/**
 * A session's sequence as the engine thread sees it: the decoder (with its KV caches) and every token of the
 * conversation so far. The last token is the root of the next step and is not yet in the caches.
 * Confined to the engine thread.
 */
final class SessionState {
    final StepDecoder decoder;
    private int[] tokens = new int[64];
    private int length;
    boolean closed;

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
