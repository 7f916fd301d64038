package dev.sequoia.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sequoia.engine.api.Engine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;

import static dev.sequoia.engine.server.TestServers.*;
import static org.junit.jupiter.api.Assertions.*;

/** The OpenAI wire format of the server: responses, SSE chunks, usage, logprobs, stop strings, models, metrics. */
class ServerProtocolTest {
    private static Engine engine;
    private static OpenAiServer server;

    @BeforeAll
    static void start() {
        engine = speculativeEngine();
        server = TestServers.start(engine);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (engine != null) engine.close();
    }

    @Test
    void chatStreamStartsWithTheRoleAndEndsWithFinishReasonUsageAndDone() {
        String body = JSON.createObjectNode().put("max_tokens", 12).put("temperature", 0).put("stream", true)
                .set("stream_options", JSON.createObjectNode().put("include_usage", true)).toString();
        body = body.substring(0, body.length() - 1) + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        HttpResponse<String> r = post(server, "/v1/chat/completions", body);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> events = events(r.body());
        JsonNode first = events.getFirst();
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        String id = first.get("id").asText();
        assertTrue(id.startsWith("chatcmpl-"));
        for (JsonNode e : events) assertEquals(id, e.get("id").asText(), "one id for the whole stream");
        JsonNode usage = events.getLast();
        assertEquals(0, usage.get("choices").size(), "the usage chunk has no choices");
        assertEquals(12, usage.at("/usage/completion_tokens").asInt());
        JsonNode finish = events.get(events.size() - 2);
        assertEquals("length", finish.at("/choices/0/finish_reason").asText());
        assertTrue(finish.at("/sequoia/tokens_per_step").asDouble() > 1, "speculation accepts draft tokens: " + finish);
        assertTrue(finish.at("/sequoia/drafted_tokens").asLong() >= finish.at("/sequoia/accepted_tokens").asLong());
        for (JsonNode e : events.subList(1, events.size() - 2)) {
            assertTrue(e.at("/choices/0/finish_reason").isNull(), "no finish reason before the end");
        }
        // the same request unstreamed gives the same text
        String whole = post(server, "/v1/chat/completions", chat("Hi", 12, 0, 1, false)).body();
        assertEquals(json(whole).at("/choices/0/message/content").asText(), streamedText(events));
    }

    @Test
    void completionResponseHasTheOpenAiShapeAndSequoiaStatistics() {
        HttpResponse<String> r = post(server, "/v1/completions", completion("Once upon a time", 20, 0, 1, false));
        assertEquals(200, r.statusCode());
        JsonNode j = json(r.body());
        assertEquals("text_completion", j.get("object").asText());
        assertEquals(MODEL, j.get("model").asText());
        assertEquals("length", j.at("/choices/0/finish_reason").asText());
        assertEquals(20, j.at("/usage/completion_tokens").asInt());
        assertEquals(j.at("/usage/prompt_tokens").asInt() + 20, j.at("/usage/total_tokens").asInt());
        assertTrue(j.at("/sequoia/tokens_per_step").asDouble() > 1);
        assertTrue(j.at("/sequoia/accepted_tokens").asLong() > 0);
        assertFalse(r.body().contains("\n"), "compact JSON");
    }

    /**
     * The {@code sequoia} counts are the engine's: accepted never exceeds drafted, and each step emits its accepted
     * tokens and one more, so accepted + steps is the tokens emitted, less what a stop (here max_tokens) cut from
     * the last step (fewer than one step's path of the 4x3 tree, at most 4 tokens). Sampled at temperature 1 too.
     */
    @Test
    void sequoiaStatisticsAreTheEnginesCounts() {
        for (double t : new double[] {0, 1}) {
            JsonNode s = json(post(server, "/v1/completions", completion("Once upon a time", 40, t, 7, false)).body())
                    .get("sequoia");
            long drafted = s.get("drafted_tokens").asLong(), accepted = s.get("accepted_tokens").asLong();
            long steps = s.get("target_forwards").asLong(), emitted = 40;
            assertTrue(accepted > 0 && accepted <= drafted, s.toString());
            long cut = accepted + steps - emitted;
            assertTrue(cut >= 0 && cut < 4, "accepted + steps - emitted = " + cut + ": " + s);
            assertEquals(emitted / (double) steps, s.get("tokens_per_step").asDouble(), 1e-9);
            assertEquals(1.0, s.get("pass_share").asDouble(), 1e-9, "alone on the engine: " + s);
            assertEquals(0, s.get("shared_steps").asLong(), s.toString());
        }
    }

    /**
     * A chat turn continuing a conversation reuses its session: at least the first turn's prompt is not fed again
     * (the reply is reused as far as the template's rendering of it tokenizes as it was generated; Llama 2's adds a
     * space before it, so on this tokenizer it is fed again).
     */
    @Test
    void aConversationsSecondChatTurnFeedsOnlyWhatIsNew() {
        JsonNode first = json(post(server, "/v1/chat/completions", chat("Hi", 8, 0, 1, false),
                "X-Conversation-Id", "protocol-chat").body());
        String reply = first.at("/choices/0/message/content").asText();
        String second = JSON.createObjectNode().put("max_tokens", 8).put("temperature", 0).set("messages",
                JSON.createArrayNode().add(JSON.createObjectNode().put("role", "user").put("content", "Hi"))
                        .add(JSON.createObjectNode().put("role", "assistant").put("content", reply))
                        .add(JSON.createObjectNode().put("role", "user").put("content", "And then?"))).toString();
        JsonNode j = json(post(server, "/v1/chat/completions", second, "X-Conversation-Id", "protocol-chat").body());
        int whole = j.at("/usage/prompt_tokens").asInt(), fed = j.at("/sequoia/prompt_tokens_fed").asInt();
        assertTrue(fed > 0 && fed <= whole - first.at("/usage/prompt_tokens").asInt(),
                "fed " + fed + " of " + whole + " tokens: " + j);
    }

    @Test
    void streamedCompletionsHaveNoRoleChunk() {
        List<JsonNode> events = events(post(server, "/v1/completions", completion("Lily", 10, 0, 1, true)).body());
        assertEquals("text_completion", events.getFirst().get("object").asText());
        assertFalse(events.getFirst().at("/choices/0").has("delta"));
        String whole = json(post(server, "/v1/completions", completion("Lily", 10, 0, 1, false)).body())
                .at("/choices/0/text").asText();
        assertEquals(whole, streamedText(events));
    }

    @Test
    void stopStringsAreLeftOutOfTheReplyStreamedOrNot() {
        String free = json(post(server, "/v1/completions", completion("Once upon a time", 30, 0, 1, false)).body())
                .at("/choices/0/text").asText();
        String stop = free.substring(10, 14); // a piece from the middle of the greedy reply
        String expected = free.substring(0, free.indexOf(stop));
        for (boolean stream : new boolean[]{false, true}) {
            String body = JSON.createObjectNode().put("prompt", "Once upon a time").put("max_tokens", 30)
                    .put("temperature", 0).put("stream", stream).put("stop", stop).toString();
            String r = post(server, "/v1/completions", body).body();
            String text = stream ? streamedText(events(r)) : json(r).at("/choices/0/text").asText();
            assertEquals(expected, text, "stream=" + stream + ", stop=" + stop);
            JsonNode last = stream ? events(r).getLast() : json(r);
            assertEquals("stop", last.at("/choices/0/finish_reason").asText());
        }
    }

    @Test
    void chatLogprobsListTheChosenTokensWithTheirAlternatives() {
        String body = chat("Hi", 6, 0, 1, false).replace("\"stream\":false", "\"stream\":false,\"logprobs\":true,\"top_logprobs\":3");
        JsonNode j = json(post(server, "/v1/chat/completions", body).body());
        JsonNode content = j.at("/choices/0/logprobs/content");
        assertEquals(6, content.size());
        StringBuilder text = new StringBuilder();
        for (JsonNode t : content) {
            assertEquals(3, t.get("top_logprobs").size());
            // greedy: the chosen token is the most likely one
            assertEquals(t.get("top_logprobs").get(0).get("logprob").asDouble(), t.get("logprob").asDouble(), 1e-9);
            assertTrue(t.get("logprob").asDouble() <= 0);
            text.append(t.get("token").asText());
        }
        assertEquals(j.at("/choices/0/message/content").asText(), text.toString());
    }

    @Test
    void legacyLogprobsHaveTokensOffsetsAndTopMaps() {
        String body = completion("Lily", 5, 0, 1, false).replace("\"stream\":false", "\"stream\":false,\"logprobs\":2");
        JsonNode lp = json(post(server, "/v1/completions", body).body()).at("/choices/0/logprobs");
        assertEquals(5, lp.get("tokens").size());
        assertEquals(5, lp.get("token_logprobs").size());
        assertEquals(0, lp.get("text_offset").get(0).asInt());
        assertEquals(2, lp.get("top_logprobs").get(0).size());
    }

    @Test
    void aConversationIdReusesTheSessionAndFeedsOnlyTheNewText() {
        String first = "Once upon a time";
        JsonNode a = json(post(server, "/v1/completions", completion(first, 10, 0, 1, false), "X-Conversation-Id", "conv-1").body());
        String next = first + a.at("/choices/0/text").asText() + " Then";
        JsonNode b = json(post(server, "/v1/completions", completion(next, 10, 0, 1, false), "X-Conversation-Id", "conv-1").body());
        int fed = b.at("/sequoia/prompt_tokens_fed").asInt();
        assertTrue(fed < b.at("/usage/prompt_tokens").asInt() / 2, "only the new text is fed: " + b.get("sequoia"));
        JsonNode fresh = json(post(server, "/v1/completions", completion(next, 10, 0, 1, false)).body());
        assertEquals(fresh.at("/usage/prompt_tokens").asInt(), fresh.at("/sequoia/prompt_tokens_fed").asInt()
                + fresh.at("/sequoia/prompt_tokens_cached").asInt(), "without an id the whole prompt is fed");
        assertTrue(server.keptConversations() >= 1);
    }

    @Test
    void modelsHealthAndMetricsAnswer() {
        JsonNode models = json(get(server, "/v1/models").body());
        assertEquals("list", models.get("object").asText());
        assertEquals(MODEL, models.at("/data/0/id").asText());
        assertEquals(200, get(server, "/v1/models/" + MODEL).statusCode());
        assertEquals("ok", json(get(server, "/health").body()).get("status").asText());
        post(server, "/v1/completions", completion("Lily", 4, 0, 1, false));
        HttpResponse<String> m = get(server, "/metrics");
        assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        for (String name : List.of("sequoia_requests_running", "sequoia_requests_waiting",
                "sequoia_time_to_first_token_seconds_count", "sequoia_request_tokens_per_second_count",
                "sequoia_request_tokens_per_step_count", "sequoia_drafted_tokens_total", "sequoia_accepted_tokens_total",
                "sequoia_shared_steps_total", "sequoia_request_pass_share_count",
                "sequoia_offload_gigabytes_per_second", "sequoia_offload_stall_fraction")) {
            assertTrue(m.body().contains("\n" + name + " "), name + " in\n" + m.body());
        }
        assertTrue(metric(server, "sequoia_accepted_tokens_total") > 0);
        double accepted = metric(server, "sequoia_accepted_tokens_total"), drafted = metric(server, "sequoia_drafted_tokens_total");
        assertTrue(accepted <= drafted, accepted + " accepted of " + drafted + " drafted");
        assertTrue(metric(server, "sequoia_request_pass_share_sum") > 0);
        assertTrue(metric(server, "sequoia_time_to_first_token_seconds_count") > 0);
    }

    @Test
    void theChatPageIsServedAtTheRoot() {
        HttpResponse<String> r = get(server, "/");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(r.body().contains("/v1/chat/completions"));
    }
}
