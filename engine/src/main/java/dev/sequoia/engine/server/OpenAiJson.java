package dev.sequoia.engine.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.GenerationStats;
import dev.sequoia.engine.api.StopReason;
import dev.sequoia.engine.sampling.Sampler.TokenLogprob;
import dev.sequoia.engine.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The OpenAI wire objects of one completion: the response (chat or legacy), its streaming chunks, usage, logprobs,
 * and Sequoia's own {@code sequoia} field. Field names and shapes follow the OpenAI API reference.
 */
final class OpenAiJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private final boolean chat;
    private final String id;
    private final long created;
    private final String model;

    OpenAiJson(boolean chat, String id, long created, String model) {
        this.chat = chat;
        this.id = id;
        this.created = created;
        this.model = model;
    }

    /** {@code chat.completion} or {@code text_completion} with the whole reply. */
    ObjectNode response(String text, GenerationResult r, ObjectNode logprobs, int promptTokens) {
        ObjectNode root = header(chat ? "chat.completion" : "text_completion");
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        if (chat) {
            choice.putObject("message").put("role", "assistant").put("content", text).putNull("refusal")
                    .putArray("annotations");
        } else {
            choice.put("text", text);
        }
        choice.set("logprobs", logprobs);
        choice.put("finish_reason", finishReason(r.stopReason()));
        root.set("usage", usage(promptTokens, r.tokens().length));
        root.set("sequoia", sequoia(r));
        return root;
    }

    /** The first chunk of a chat stream: the assistant's role, no content yet. */
    ObjectNode roleChunk() {
        ObjectNode chunk = chunkHeader();
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.putObject("delta").put("role", "assistant").put("content", "");
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return chunk;
    }

    /** A chunk carrying a piece of text. */
    ObjectNode textChunk(String text) {
        ObjectNode chunk = chunkHeader();
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        if (chat) choice.putObject("delta").put("content", text);
        else choice.put("text", text);
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return chunk;
    }

    /** The last chunk of the choice: empty delta, the finish reason, the logprobs of the whole reply, statistics. */
    ObjectNode finishChunk(GenerationResult r, ObjectNode logprobs) {
        ObjectNode chunk = chunkHeader();
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        if (chat) choice.putObject("delta");
        else choice.put("text", "");
        choice.set("logprobs", logprobs);
        choice.put("finish_reason", finishReason(r.stopReason()));
        chunk.set("sequoia", sequoia(r));
        return chunk;
    }

    /** With {@code stream_options.include_usage}: the chunk after the last choice chunk, with no choices. */
    ObjectNode usageChunk(GenerationResult r, int promptTokens) {
        ObjectNode chunk = chunkHeader();
        chunk.putArray("choices");
        chunk.set("usage", usage(promptTokens, r.tokens().length));
        chunk.set("sequoia", sequoia(r));
        return chunk;
    }

    private ObjectNode chunkHeader() {
        return header(chat ? "chat.completion.chunk" : "text_completion");
    }

    private ObjectNode header(String object) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("id", id).put("object", object).put("created", created).put("model", model);
        o.putNull("system_fingerprint");
        return o;
    }

    static String finishReason(StopReason reason) {
        return switch (reason) {
            case MAX_TOKENS, CONTEXT_LENGTH -> "length";
            default -> "stop";
        };
    }

    static ObjectNode usage(int promptTokens, int completionTokens) {
        return MAPPER.createObjectNode().put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
    }

    /**
     * Sequoia's statistics: tokens per step, draft tokens verified and accepted, the shared passes, speed, why it
     * stopped. Drafted and accepted are the engine's counts ({@link GenerationStats}); both 0 for plain decoding.
     */
    static ObjectNode sequoia(GenerationResult r) {
        GenerationStats s = r.stats();
        return MAPPER.createObjectNode().put("tokens_per_step", s.tokensPerStep())
                .put("drafted_tokens", s.draftedTokens()).put("accepted_tokens", s.acceptedTokens())
                .put("target_forwards", s.targetForwards()).put("shared_steps", s.sharedSteps())
                .put("pass_share", s.passShare()).put("tokens_per_second", s.tokensPerSecond())
                .put("prompt_tokens_fed", s.promptTokens()).put("prompt_tokens_cached", s.cachedTokens())
                .put("prefill_seconds", s.prefillNanos() / 1e9).put("stop_reason", r.stopReason().name().toLowerCase());
    }

    /**
     * The logprobs of a reply, or null when none were asked for. Each token's text is what it adds after the one
     * before it; the chosen token's log-probability comes from the engine's top list (the untempered distribution).
     */
    ObjectNode logprobs(GenerationResult r, int top, Tokenizer tokenizer) {
        if (top == 0 || r.logprobs().isEmpty()) return null;
        int shown = Math.max(0, top);
        int previous = r.promptTokens().length == 0 ? -1 : r.promptTokens()[r.promptTokens().length - 1];
        ObjectNode out = MAPPER.createObjectNode();
        ArrayNode content = chat ? out.putArray("content") : null;
        ArrayNode tokens = chat ? null : out.putArray("tokens");
        ArrayNode tokenLogprobs = chat ? null : out.putArray("token_logprobs");
        ArrayNode topLists = chat ? null : out.putArray("top_logprobs");
        ArrayNode offsets = chat ? null : out.putArray("text_offset");
        if (chat) out.putNull("refusal");
        int offset = 0;
        List<TokenLogprob[]> positions = r.logprobs();
        for (int i = 0; i < positions.size() && i < r.tokens().length; i++) {
            int token = r.tokens()[i];
            String text = new String(tokenizer.decode(previous, token), StandardCharsets.UTF_8);
            double logprob = chosenLogprob(positions.get(i), token);
            if (chat) {
                ObjectNode entry = entry(text, logprob);
                ArrayNode alternatives = entry.putArray("top_logprobs");
                for (int k = 0; k < shown && k < positions.get(i).length; k++) {
                    TokenLogprob t = positions.get(i)[k];
                    alternatives.add(entry(new String(tokenizer.decode(previous, t.token()), StandardCharsets.UTF_8), t.logprob()));
                }
                content.add(entry);
            } else {
                tokens.add(text);
                tokenLogprobs.add(logprob);
                ObjectNode alternatives = topLists.addObject();
                for (int k = 0; k < shown && k < positions.get(i).length; k++) {
                    TokenLogprob t = positions.get(i)[k];
                    alternatives.put(new String(tokenizer.decode(previous, t.token()), StandardCharsets.UTF_8), t.logprob());
                }
                offsets.add(offset);
                offset += text.length();
            }
            previous = token;
        }
        return out;
    }

    private static ObjectNode entry(String text, double logprob) {
        ObjectNode e = MAPPER.createObjectNode().put("token", text).put("logprob", logprob);
        ArrayNode bytes = e.putArray("bytes");
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xFF);
        return e;
    }

    /**
     * The chosen token's log-probability from the engine's top list ({@link CompletionHandler#ENGINE_TOP_LOGPROBS}
     * entries); a token outside it (possible only when sampling) gets the list's lowest, an upper bound.
     */
    private static double chosenLogprob(TokenLogprob[] top, int token) {
        double lowest = 0;
        for (TokenLogprob t : top) {
            if (t.token() == token) return t.logprob();
            lowest = Math.min(lowest, t.logprob());
        }
        return lowest;
    }

    /** The OpenAI error object. */
    static ObjectNode error(ApiException e) {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error").put("message", e.getMessage()).put("type", e.type());
        if (e.param() == null) error.putNull("param");
        else error.put("param", e.param());
        if (e.code() == null) error.putNull("code");
        else error.put("code", e.code());
        return root;
    }
}
