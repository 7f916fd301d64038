package dev.sequoia.engine.chat;

import java.util.List;

/**
 * One message of a conversation: its role and text. Roles are those Llama chat templates know:
 * {@code system}, {@code user}, {@code assistant}, and for tool results {@code tool} / {@code ipython}.
 */
public record ChatMessage(String role, String content) {
    /** The roles a message may have. */
    public static final List<String> ROLES = List.of("system", "user", "assistant", "tool", "ipython");

    public ChatMessage {
        if (role == null || !ROLES.contains(role)) {
            throw new IllegalArgumentException("chat message role '" + role + "' is not one of " + String.join(", ", ROLES));
        }
        if (content == null) throw new IllegalArgumentException("chat message (" + role + ") has no content");
    }

    public static ChatMessage system(String text) { return new ChatMessage("system", text); }
    public static ChatMessage user(String text) { return new ChatMessage("user", text); }
    public static ChatMessage assistant(String text) { return new ChatMessage("assistant", text); }
}
