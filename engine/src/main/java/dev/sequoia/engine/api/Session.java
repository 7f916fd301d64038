package dev.sequoia.engine.api;

import dev.sequoia.engine.chat.ChatMessage;

import java.util.List;

/**
 * A conversation with the engine: its KV caches persist across {@link #generate} calls, so a later turn
 * feeds only its new text. Generations of one session run in the order they were requested; sessions
 * interleave fairly. Closing frees the session's caches.
 *
 * <p>Threading: any thread may call; the work happens on the engine thread.
 */
public final class Session implements AutoCloseable {
    private final Engine engine;
    private final SessionState state;
    private volatile boolean closed;

    Session(Engine engine, SessionState state) {
        this.engine = engine;
        this.state = state;
    }

    /**
     * Starts generating; {@code listener} sees each token on the engine thread. A generation requested while an
     * earlier one of this session runs waits for it (generations of one session never interleave).
     */
    public Generation generate(GenerateRequest request, TokenListener listener) {
        if (closed) throw new IllegalStateException("the session is closed");
        return engine.startGeneration(state, request, listener == null ? (t, s) -> {} : listener);
    }

    /** Generates and waits for the result. */
    public GenerationResult generate(GenerateRequest request) {
        return generate(request, null).await();
    }

    /**
     * Continues a chat: renders the whole conversation {@code messages} with the target's chat template
     * (ending with the opening of the assistant's turn) and generates the assistant's reply. Only what the
     * session has not seen is fed: the tokens past the longest common prefix of the rendered conversation and
     * the session's tokens (the previous turns, the previous reply included). {@code settings} gives max tokens,
     * sampling, stop strings and logprobs; its prompt must be empty. Template and role errors are
     * {@link IllegalArgumentException}s thrown here.
     */
    public Generation chat(List<ChatMessage> messages, GenerateRequest settings, TokenListener listener) {
        if (closed) throw new IllegalStateException("the session is closed");
        if (!settings.prompt().isEmpty()) {
            throw new IllegalArgumentException("a chat request takes its text from the messages; the prompt must be empty");
        }
        return engine.startChat(state, messages, settings, listener == null ? (t, s) -> {} : listener);
    }

    /** Chats and waits for the reply. */
    public GenerationResult chat(List<ChatMessage> messages, GenerateRequest settings) {
        return chat(messages, settings, null).await();
    }

    /**
     * Cancels what is running in this session (and the generations waiting their turn) and frees its caches.
     * Idempotent, from any thread. From a {@link TokenListener} (the engine thread) it returns at once: the
     * running generation emits no further token and completes as cancelled at the end of the current step,
     * and the caches are freed then.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        engine.closeSession(state);
    }
}
