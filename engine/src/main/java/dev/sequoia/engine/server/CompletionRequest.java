package dev.sequoia.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sequoia.engine.chat.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A {@code /v1/chat/completions} or {@code /v1/completions} body, validated: every parameter of the wrong type
 * or out of range is a 400 naming it. Fields this server does not know are ignored, as OpenAI does.
 *
 * @param chat         true for chat completions (the prompt is rendered from {@code messages} by the model's chat
 *                     template)
 * @param model        the model named, or null
 * @param messages     the chat (chat only; else empty); OpenAI's {@code developer} role reads as {@code system}
 * @param prompt       the completion prompt (completions only; else null)
 * @param maxTokens    {@code max_completion_tokens} or {@code max_tokens}, or null for the default
 * @param temperature  softmax temperature, 0 for greedy (OpenAI's default: 1)
 * @param topP         nucleus mass in (0, 1]
 * @param stop         stop strings (at most 4, none empty)
 * @param seed         the sampling seed (a random one when the request gives none)
 * @param logprobs     top log-probabilities per token to report; 0 for none, and -1 for only the chosen token's
 * @param stream       answer with server-sent events
 * @param includeUsage with {@code stream_options.include_usage}: a last chunk with the usage
 * @param user         the {@code user} field, or null
 */
public record CompletionRequest(boolean chat, String model, List<ChatMessage> messages, String prompt,
                                Integer maxTokens, double temperature, double topP, List<String> stop, long seed,
                                int logprobs, boolean stream, boolean includeUsage, String user) {
    /** OpenAI's limits: at most 4 stop strings, 20 top log-probabilities (5 on legacy completions). */
    static final int MAX_STOP = 4, MAX_TOP_LOGPROBS = 20, MAX_LEGACY_LOGPROBS = 5;

    public boolean wantsLogprobs() { return logprobs != 0; }

    /** Reads and validates {@code body}; {@code chat} selects the endpoint's rules. */
    public static CompletionRequest parse(JsonNode body, boolean chat) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object");
        }
        String model = optionalString(body, "model");
        List<ChatMessage> messages = chat ? messages(body) : List.of();
        String prompt = chat ? null : prompt(body);
        Integer maxTokens = maxTokens(body);
        double temperature = number(body, "temperature", 1.0);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw ApiException.invalid("temperature", "temperature must be a number >= 0, got " + body.get("temperature"));
        }
        double topP = number(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) {
            throw ApiException.invalid("top_p", "top_p must be in (0, 1], got " + body.get("top_p"));
        }
        long n = integer(body, "n", 1);
        if (n != 1) throw ApiException.invalid("n", "only n = 1 is supported, got " + n);
        List<String> stop = stop(body);
        long seed = body.hasNonNull("seed") ? integer(body, "seed", 0) : ThreadLocalRandom.current().nextLong();
        int logprobs = chat ? chatLogprobs(body) : legacyLogprobs(body);
        boolean stream = bool(body, "stream", false);
        boolean includeUsage = stream && includeUsage(body);
        return new CompletionRequest(chat, model, messages, prompt, maxTokens, temperature, topP, stop, seed, logprobs,
                stream, includeUsage, optionalString(body, "user"));
    }

    private static List<ChatMessage> messages(JsonNode body) {
        JsonNode list = body.get("messages");
        if (list == null || list.isNull()) throw ApiException.invalid("messages", "messages is required");
        if (!list.isArray()) throw ApiException.invalid("messages", "messages must be an array of message objects");
        if (list.isEmpty()) throw ApiException.invalid("messages", "messages must not be empty");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject()) throw ApiException.invalid(at, at + " must be an object with role and content");
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) throw ApiException.invalid(at + ".role", at + ".role must be a string");
            out.add(message(role.asText(), content(m.get("content"), at + ".content"), at));
        }
        if (out.stream().noneMatch(m -> m.role().equals("user"))) {
            throw ApiException.invalid("messages", "messages must contain at least one user message");
        }
        return out;
    }

    /** A message whose role the chat templates know (ChatMessage checks it); {@code developer} is OpenAI's system. */
    private static ChatMessage message(String role, String content, String at) {
        try {
            return new ChatMessage(role.equals("developer") ? "system" : role, content);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("messages", at + ": " + e.getMessage());
        }
    }

    /** A string, or an array of {@code {"type": "text", "text": ...}} parts. */
    private static String content(JsonNode c, String at) {
        if (c == null || c.isNull()) return "";
        if (c.isTextual()) return c.asText();
        if (!c.isArray()) throw ApiException.invalid(at, at + " must be a string or an array of text parts");
        StringBuilder text = new StringBuilder();
        for (JsonNode part : c) {
            if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                throw ApiException.invalid(at, at + ": only text parts ({\"type\": \"text\", \"text\": ...}) are supported");
            }
            text.append(part.get("text").asText());
        }
        return text.toString();
    }

    private static String prompt(JsonNode body) {
        JsonNode p = body.get("prompt");
        if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) p = p.get(0);
        if (p == null || p.isNull()) throw ApiException.invalid("prompt", "prompt is required");
        if (!p.isTextual()) throw ApiException.invalid("prompt", "prompt must be a string (or an array of one string)");
        if (p.asText().isEmpty()) throw ApiException.invalid("prompt", "prompt must not be empty");
        return p.asText();
    }

    private static Integer maxTokens(JsonNode body) {
        String name = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        if (!body.hasNonNull(name)) return null;
        long v = integer(body, name, 0);
        if (v < 1 || v > Integer.MAX_VALUE) throw ApiException.invalid(name, name + " must be an integer >= 1, got " + v);
        return (int) v;
    }

    private static List<String> stop(JsonNode body) {
        JsonNode s = body.get("stop");
        if (s == null || s.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (s.isTextual()) out.add(s.asText());
        else if (s.isArray()) {
            for (JsonNode e : s) {
                if (!e.isTextual()) throw ApiException.invalid("stop", "stop must be a string or an array of strings");
                out.add(e.asText());
            }
        } else throw ApiException.invalid("stop", "stop must be a string or an array of strings");
        if (out.size() > MAX_STOP) throw ApiException.invalid("stop", "at most " + MAX_STOP + " stop strings, got " + out.size());
        if (out.stream().anyMatch(String::isEmpty)) throw ApiException.invalid("stop", "stop strings must not be empty");
        return List.copyOf(out);
    }

    private static int chatLogprobs(JsonNode body) {
        boolean on = bool(body, "logprobs", false);
        long top = integer(body, "top_logprobs", 0);
        if (top < 0 || top > MAX_TOP_LOGPROBS) {
            throw ApiException.invalid("top_logprobs", "top_logprobs must be in [0, " + MAX_TOP_LOGPROBS + "], got " + top);
        }
        if (top > 0 && !on) throw ApiException.invalid("top_logprobs", "top_logprobs needs logprobs: true");
        return !on ? 0 : top == 0 ? -1 : (int) top;
    }

    private static int legacyLogprobs(JsonNode body) {
        if (!body.hasNonNull("logprobs")) return 0;
        long k = integer(body, "logprobs", 0);
        if (k < 0 || k > MAX_LEGACY_LOGPROBS) {
            throw ApiException.invalid("logprobs", "logprobs must be an integer in [0, " + MAX_LEGACY_LOGPROBS + "], got " + k);
        }
        return (int) k;
    }

    private static boolean includeUsage(JsonNode body) {
        JsonNode o = body.get("stream_options");
        if (o == null || o.isNull()) return false;
        if (!o.isObject()) throw ApiException.invalid("stream_options", "stream_options must be an object");
        return bool(o, "include_usage", false);
    }

    private static String optionalString(JsonNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw ApiException.invalid(name, name + " must be a string, got " + v.getNodeType().name().toLowerCase());
        return v.asText();
    }

    private static double number(JsonNode body, String name, double absent) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return absent;
        if (!v.isNumber()) throw ApiException.invalid(name, name + " must be a number, got " + v.getNodeType().name().toLowerCase());
        return v.asDouble();
    }

    private static long integer(JsonNode body, String name, long absent) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return absent;
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.invalid(name, name + " must be an integer, got " + v);
        }
        return v.asLong();
    }

    private static boolean bool(JsonNode body, String name, boolean absent) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return absent;
        if (!v.isBoolean()) throw ApiException.invalid(name, name + " must be true or false, got " + v);
        return v.asBoolean();
    }
}
