package dev.sequoia.engine.server;

import java.util.List;

/**
 * Renders a chat as the prompt text the model was trained on. The server holds one for its model; the
 * model's own template (read from its GGUF metadata) can take the built-in one's place.
 */
@FunctionalInterface
public interface ChatFormat {
    /** The prompt for {@code messages}, ending where the assistant's next reply begins. */
    String render(List<ChatMessage> messages);
}
