package dev.sequoia.engine.server;

/** One message of a chat request: {@code system}, {@code user} or {@code assistant}, and its text. */
public record ChatMessage(String role, String content) {
    public static final java.util.Set<String> ROLES = java.util.Set.of("system", "developer", "user", "assistant");
}
