package dev.sequoia.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Engines on the bundled stories260K pair, servers on them, and a plain HTTP client that reads SSE. */
final class TestServers {
    /** Request timeout of the JDK HTTP server in these tests (read once per JVM, before its first server). */
    static final int REQUEST_TIMEOUT_SECONDS = 3;
    static final String MODEL = "stories260K";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    static {
        OpenAiServer.configureJdkHttpServer(REQUEST_TIMEOUT_SECONDS);
    }

    private TestServers() {}

    static EngineConfig.Builder plainConfig() {
        return EngineConfig.builder(Fixtures.targetSpec()).threads(1);
    }

    /** Speculative decoding with a fixed 4x3 tree from the bundled draft (no profiling on first use). */
    static EngineConfig.Builder speculativeConfig() {
        return plainConfig().draft(Fixtures.draftSpec()).tree("4x3");
    }

    static Engine plainEngine() { return Engine.open(plainConfig().build()); }

    static Engine speculativeEngine() { return Engine.open(speculativeConfig().build()); }

    static OpenAiServer start(Engine engine, ServerSettings settings) {
        try {
            return OpenAiServer.start(engine, settings);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static OpenAiServer start(Engine engine) {
        return start(engine, ServerSettings.defaults(MODEL));
    }

    static HttpResponse<String> post(OpenAiServer server, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (headers.length > 0) b.headers(headers);
        return send(b.build());
    }

    static HttpResponse<String> get(OpenAiServer server, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).timeout(Duration.ofSeconds(30)).GET();
        if (headers.length > 0) b.headers(headers);
        return send(b.build());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    /** The events of an SSE body; asserts the OpenAI framing (every event {@code data: ...}, the last {@code [DONE]}). */
    static List<JsonNode> events(String body) {
        List<JsonNode> out = new ArrayList<>();
        String[] blocks = body.split("\n\n");
        for (int i = 0; i < blocks.length; i++) {
            assertTrue(blocks[i].startsWith("data: "), "event " + i + " is not a data event: " + blocks[i]);
            String data = blocks[i].substring(6);
            if (i == blocks.length - 1) assertEquals("[DONE]", data, "the stream ends with [DONE]");
            else out.add(json(data));
        }
        assertTrue(body.endsWith("data: [DONE]\n\n"), "the stream ends with data: [DONE] and a blank line");
        return out;
    }

    /** The text a streamed reply carries (chat deltas or completion texts). */
    static String streamedText(List<JsonNode> events) {
        StringBuilder text = new StringBuilder();
        for (JsonNode e : events) {
            for (JsonNode choice : e.path("choices")) {
                if (choice.has("delta")) text.append(choice.path("delta").path("content").asText(""));
                else text.append(choice.path("text").asText(""));
            }
        }
        return text.toString();
    }

    /** The value of an un-labelled sample in Prometheus text, or NaN when absent. */
    static double metric(OpenAiServer server, String sample) {
        for (String line : get(server, "/metrics").body().split("\n")) {
            if (line.startsWith(sample + " ")) return Double.parseDouble(line.substring(sample.length() + 1).trim());
        }
        return Double.NaN;
    }

    static String completion(String prompt, int maxTokens, double temperature, long seed, boolean stream) {
        return JSON.createObjectNode().put("model", MODEL).put("prompt", prompt).put("max_tokens", maxTokens)
                .put("temperature", temperature).put("seed", seed).put("stream", stream).toString();
    }

    static String chat(String user, int maxTokens, double temperature, long seed, boolean stream) {
        var body = JSON.createObjectNode().put("model", MODEL).put("max_tokens", maxTokens)
                .put("temperature", temperature).put("seed", seed).put("stream", stream);
        body.putArray("messages").addObject().put("role", "user").put("content", user);
        return body.toString();
    }
}
