package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.chat.ChatMessage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The conversation {@code generate --chat} sends: a messages file's turns, the system message, the prompt. */
final class ChatFiles {
    private ChatFiles() {}

    /**
     * {@code system} first (when given), then the file's messages (when given), then {@code prompt} as a user
     * message (when not empty). A malformed file or an unknown role is an IllegalArgumentException naming the
     * file and the message's index.
     */
    static List<ChatMessage> conversation(Path file, String system, String prompt) {
        List<ChatMessage> out = new ArrayList<>();
        if (system != null) out.add(ChatMessage.system(system));
        if (file != null) out.addAll(read(file));
        if (prompt != null && !prompt.isEmpty()) out.add(ChatMessage.user(prompt));
        if (out.isEmpty()) throw new IllegalArgumentException("--chat needs a --prompt, --system or --messages");
        return out;
    }

    static List<ChatMessage> read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("--messages " + file + ": " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? "not JSON: " + j.getOriginalMessage() : e.getMessage()).replace('\n', ' '));
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException("--messages " + file + ": expected a JSON array of {\"role\", \"content\"} objects");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode m = root.get(i);
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new IllegalArgumentException("--messages " + file + ": message " + i
                        + " needs a string \"role\" and a string \"content\"");
            }
            try {
                out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--messages " + file + ": message " + i + ": " + e.getMessage());
            }
        }
        return out;
    }
}
