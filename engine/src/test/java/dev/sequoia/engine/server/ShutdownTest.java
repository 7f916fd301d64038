package dev.sequoia.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sequoia.engine.api.Engine;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.sequoia.engine.server.TestServers.*;
import static org.junit.jupiter.api.Assertions.*;

/** Graceful shutdown: running generations finish within the drain time or are cancelled; everything is freed. */
class ShutdownTest {
    private static ServerSettings drain(int seconds) {
        ServerSettings d = ServerSettings.defaults(MODEL);
        return new ServerSettings(d.host(), 0, null, MODEL, d.maxRunning(), d.maxWaiting(), d.maxConversations(),
                d.maxBodyBytes(), seconds);
    }

    @Test
    void runningStreamsAreCancelledPastTheDrainTimeAndEndCleanly() throws Exception {
        try (Engine engine = plainEngine()) {
            OpenAiServer server = TestServers.start(engine, drain(0));
            post(server, "/v1/completions", completion("Lily", 3, 0, 1, false), "X-Conversation-Id", "kept");
            CompletableFuture<HttpResponse<String>> streaming = CompletableFuture.supplyAsync(
                    () -> post(server, "/v1/completions", completion("Once upon a time", 480, 0.8, 1, true)));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (json(get(server, "/health").body()).get("running").asInt() == 0) {
                assertTrue(System.nanoTime() < deadline);
                Thread.sleep(1);
            }
            server.close();
            HttpResponse<String> r = streaming.get();
            assertEquals(200, r.statusCode());
            List<JsonNode> events = events(r.body());
            assertEquals("cancelled", events.getLast().at("/sequoia/stop_reason").asText(), "cut short, and said so");
            assertEquals(0, engine.openSessions(), "kept conversations and running sessions are closed");
            assertThrows(UncheckedIOException.class, () -> get(server, "/health"), "no longer listening");
        }
    }

    @Test
    void withinTheDrainTimeRunningGenerationsFinish() throws Exception {
        try (Engine engine = plainEngine()) {
            OpenAiServer server = TestServers.start(engine, drain(30));
            HttpRequest request = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(completion("Once upon a time", 100, 0.8, 1, true))).build();
            // the headers arrive with the first token: the generation is running when this returns
            HttpResponse<Stream<String>> streaming = HTTP.send(request, HttpResponse.BodyHandlers.ofLines());
            CompletableFuture<Void> closed = CompletableFuture.runAsync(server::close);
            String body = streaming.body().collect(Collectors.joining("\n")) + "\n";
            closed.get();
            List<JsonNode> events = events(body.replaceAll("\n+$", "\n\n"));
            assertEquals("max_tokens", events.getLast().at("/sequoia/stop_reason").asText(), "it ran to its end");
            assertEquals(0, engine.openSessions());
        }
    }
}
