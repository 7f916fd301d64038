package dev.sequoia.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sequoia.engine.api.Engine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static dev.sequoia.engine.server.TestServers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Every bad input gets the OpenAI error object with the right status and type, never a stack trace, and the next
 * request is served normally.
 */
class BadInputTest {
    private static Engine engine;
    private static OpenAiServer server;

    @BeforeAll
    static void start() {
        engine = plainEngine();
        server = TestServers.start(engine);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (engine != null) engine.close();
    }

    /** After every case: the engine still serves, and no session is left open. */
    @AfterEach
    void nextRequestIsServed() {
        HttpResponse<String> r = post(server, "/v1/completions", completion("Once upon a time", 5, 0, 1, false));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(5, json(r.body()).at("/usage/completion_tokens").asInt());
        assertEquals(server.keptConversations(), engine.openSessions(), "only kept conversations hold sessions");
    }

    static Stream<Arguments> badBodies() {
        String user = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
        return Stream.of(
                Arguments.of("/v1/chat/completions", "{\"messages\": [", 400, null),
                Arguments.of("/v1/chat/completions", "{} {}", 400, null),
                Arguments.of("/v1/chat/completions", "", 400, null),
                Arguments.of("/v1/chat/completions", "[1, 2]", 400, null),
                Arguments.of("/v1/chat/completions", "{}", 400, "messages"),
                Arguments.of("/v1/chat/completions", "{\"messages\": []}", 400, "messages"),
                Arguments.of("/v1/chat/completions", "{\"messages\": \"Hi\"}", 400, "messages"),
                Arguments.of("/v1/chat/completions", "{\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}", 400, "messages"),
                Arguments.of("/v1/chat/completions", "{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}", 400, "messages"),
                // the model's chat template (Llama 2's) refuses roles that do not alternate
                Arguments.of("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"user\", \"content\": \"y\"}]}", 400, "messages"),
                Arguments.of("/v1/chat/completions", "{\"messages\": [{\"role\": 7, \"content\": \"x\"}]}", 400, "messages[0].role"),
                Arguments.of("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", 400, "messages[0].content"),
                Arguments.of("/v1/chat/completions", "{\"messages\": [{\"role\": \"system\", \"content\": \"x\"}]}", 400, "messages"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"temperature\": -0.5}", 400, "temperature"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"temperature\": \"hot\"}", 400, "temperature"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"top_p\": 0}", 400, "top_p"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"top_p\": 1.5}", 400, "top_p"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"n\": 2}", 400, "n"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"max_tokens\": 100000}", 400, "max_tokens"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"max_tokens\": 0}", 400, "max_tokens"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"max_completion_tokens\": 2.5}", 400, "max_completion_tokens"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"stream\": \"yes\"}", 400, "stream"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"stop\": [\"a\", 1]}", 400, "stop"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"seed\": \"x\"}", 400, "seed"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"top_logprobs\": 3}", 400, "top_logprobs"),
                Arguments.of("/v1/chat/completions", "{" + user + ", \"logprobs\": true, \"top_logprobs\": 21}", 400, "top_logprobs"),
                Arguments.of("/v1/completions", "{\"prompt\": \"\"}", 400, "prompt"),
                Arguments.of("/v1/completions", "{}", 400, "prompt"),
                Arguments.of("/v1/completions", "{\"prompt\": [1, 2, 3]}", 400, "prompt"),
                Arguments.of("/v1/completions", "{\"prompt\": \"" + "Lily ".repeat(600) + "\"}", 400, "prompt"),
                Arguments.of("/v1/completions", "{\"prompt\": \"x\", \"logprobs\": 9}", 400, "logprobs"));
    }

    @ParameterizedTest(name = "{0} {1} -> {2} {3}")
    @MethodSource("badBodies")
    void badBodiesAreInvalidRequests(String path, String body, int status, String param) {
        HttpResponse<String> r = post(server, path, body);
        JsonNode error = assertError(r, status, "invalid_request_error");
        if (param == null) assertTrue(error.get("param").isNull(), r.body());
        else assertEquals(param, error.get("param").asText(), r.body());
    }

    @Test
    void unknownFieldsAreIgnored() {
        String body = chat("Hi", 4, 0, 1, false).replace("{", "{\"presence_penalty\": 0.5, \"frobnicate\": {\"x\": [1]},");
        assertEquals(200, post(server, "/v1/chat/completions", body).statusCode());
    }

    @Test
    void anUnknownModelIs404() {
        JsonNode e = assertError(post(server, "/v1/completions", "{\"model\": \"gpt-4\", \"prompt\": \"x\"}"), 404, "invalid_request_error");
        assertEquals("model_not_found", e.get("code").asText());
        assertError(get(server, "/v1/models/gpt-4"), 404, "invalid_request_error");
    }

    @Test
    void anUnknownUrlIs404AndAWrongMethod405() {
        assertError(get(server, "/v1/engines"), 404, "invalid_request_error");
        assertError(get(server, "/v1/chat/completions"), 405, "invalid_request_error");
    }

    @Test
    void aBodyOverOneMebibyteIs413WithOrWithoutContentLength() {
        String big = "{\"prompt\": \"" + "a".repeat(1 << 20) + "\"}";
        JsonNode e = assertError(post(server, "/v1/completions", big), 413, "invalid_request_error");
        assertEquals("request_too_large", e.get("code").asText());
        // chunked: no Content-Length, the limit is applied while reading
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                .build();
        assertError(send(chunked), 413, "invalid_request_error");
    }

    @Test
    void aWrongOrMissingApiKeyIs401() {
        try (OpenAiServer keyed = TestServers.start(engine, ServerSettings.defaults(MODEL).withApiKey("s3cret"))) {
            String body = completion("Lily", 3, 0, 1, false);
            JsonNode missing = assertError(post(keyed, "/v1/completions", body), 401, "invalid_request_error");
            assertEquals("invalid_api_key", missing.get("code").asText());
            assertError(post(keyed, "/v1/completions", body, "Authorization", "Bearer wrong"), 401, "invalid_request_error");
            assertError(get(keyed, "/v1/models", "Authorization", "Bearer wrong"), 401, "invalid_request_error");
            assertEquals(200, post(keyed, "/v1/completions", body, "Authorization", "Bearer s3cret").statusCode());
            assertEquals(200, get(keyed, "/health").statusCode(), "health stays open for load balancers");
        }
    }

    @Test
    void aFullQueueIs429WithRetryAfter() throws Exception {
        try (OpenAiServer small = TestServers.start(engine, ServerSettings.defaults(MODEL).withLimits(1, 1))) {
            String longOne = completion("Once", 480, 0.8, 1, false);
            CompletableFuture<HttpResponse<String>> running = CompletableFuture.supplyAsync(() -> post(small, "/v1/completions", longOne));
            awaitHealth(small, "running", 1);
            CompletableFuture<HttpResponse<String>> waiting = CompletableFuture.supplyAsync(() -> post(small, "/v1/completions", longOne));
            awaitHealth(small, "waiting", 1);
            HttpResponse<String> refused = post(small, "/v1/completions", completion("Lily", 3, 0, 1, false));
            JsonNode e = assertError(refused, 429, "rate_limit_error");
            assertEquals("rate_limit_exceeded", e.get("code").asText());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            assertEquals(200, running.get().statusCode());
            assertEquals(200, waiting.get().statusCode(), "the queued request is served once a slot frees");
        }
    }

    private static void awaitHealth(OpenAiServer s, String field, int value) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (json(get(s, "/health").body()).get(field).asInt() != value) {
            assertTrue(System.nanoTime() < deadline, field + " never reached " + value);
            Thread.sleep(2);
        }
    }

    @Test
    void aSlowClientDoesNotHoldUpOthersAndIsDroppedAfterTheRequestTimeout() throws Exception {
        try (Socket slow = new Socket("127.0.0.1", server.port())) {
            OutputStream out = slow.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 200\r\n\r\n{\"prompt\": \"Once").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // meanwhile others are served at once
            long t0 = System.nanoTime();
            assertEquals(200, post(server, "/v1/completions", completion("Lily", 5, 0, 1, false)).statusCode());
            assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "served while the slow client dribbles");
            slow.setSoTimeout((TestServers.REQUEST_TIMEOUT_SECONDS + 5) * 1000);
            InputStream in = slow.getInputStream();
            long start = System.nanoTime();
            assertEquals(-1, in.read(), "the server closes a request that does not arrive in time");
            assertTrue(System.nanoTime() - start < (TestServers.REQUEST_TIMEOUT_SECONDS + 4) * 1_000_000_000L);
        }
    }

    @Test
    void aSlowReaderDoesNotHoldUpOthers() throws Exception {
        try (Socket lazy = new Socket("127.0.0.1", server.port())) {
            byte[] body = completion("Once upon a time", 300, 0.8, 3, true).getBytes(StandardCharsets.UTF_8);
            lazy.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            lazy.getOutputStream().write(body);
            lazy.getOutputStream().flush();
            assertEquals(200, post(server, "/v1/completions", completion("Lily", 5, 0, 1, false)).statusCode());
            lazy.setSoTimeout(30_000);
            String all = new String(lazy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(all.contains("data: [DONE]"), "the lazy reader still gets its whole stream");
        }
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsItsGeneration() throws Exception {
        double before = metric(server, "sequoia_client_disconnects_total");
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            byte[] body = completion("Once upon a time", 480, 0.8, 5, true).getBytes(StandardCharsets.UTF_8);
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(body);
            s.getOutputStream().flush();
            byte[] some = new byte[64];
            assertTrue(s.getInputStream().read(some) > 0);
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!(metric(server, "sequoia_client_disconnects_total") > before)) {
            assertTrue(System.nanoTime() < deadline, "the disconnect is noticed");
            Thread.sleep(5);
        }
        assertTrue(get(server, "/metrics").body().contains("sequoia_generations_total{stop_reason=\"cancelled\"}"));
    }

    /** The OpenAI error object with {@code status} and {@code type}, and no stack trace. */
    static JsonNode assertError(HttpResponse<String> r, int status, String type) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode root = json(r.body());
        assertEquals(1, root.size(), "only the error object: " + r.body());
        JsonNode error = root.get("error");
        assertNotNull(error, r.body());
        for (String field : new String[]{"message", "type", "param", "code"}) assertTrue(error.has(field), field + " in " + r.body());
        assertEquals(type, error.get("type").asText());
        assertFalse(error.get("message").asText().isBlank());
        assertFalse(r.body().contains("\tat ") || r.body().contains("Exception"), "no stack trace: " + r.body());
        return error;
    }
}
