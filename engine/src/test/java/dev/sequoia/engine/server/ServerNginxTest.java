package dev.sequoia.engine.server;

import dev.sequoia.engine.api.Engine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.sequoia.engine.server.TestServers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Scale-out as documented: two replicas behind a real NGINX (Debian's, installed by {@code .ci/run}) running the
 * sample {@code configs/nginx/sequoia.conf} with its ports rewritten, everything on loopback. A conversation stays on
 * one replica; streaming passes through unbuffered.
 */
class ServerNginxTest {
    static final Path NGINX = Path.of("/usr/sbin/nginx");

    private static Engine engineA, engineB;
    private static OpenAiServer replicaA, replicaB;
    private static Process nginx;
    private static Path prefix;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        assertTrue(Files.isExecutable(NGINX), NGINX + " is missing: install Debian's nginx (.ci/run does)");
        engineA = plainEngine();
        engineB = plainEngine();
        replicaA = TestServers.start(engineA);
        replicaB = TestServers.start(engineB);
        port = freePort();
        prefix = Files.createTempDirectory("sequoia-nginx");
        Files.createDirectories(prefix.resolve("tmp"));
        Files.createDirectories(prefix.resolve("logs"));
        Path conf = prefix.resolve("sequoia.conf");
        Files.writeString(conf, sampleConfig()
                .replace("127.0.0.1:8080", "127.0.0.1:" + replicaA.port())
                .replace("127.0.0.1:8081", "127.0.0.1:" + replicaB.port())
                .replace("listen 127.0.0.1:8000", "listen 127.0.0.1:" + port));
        nginx = new ProcessBuilder(NGINX.toString(), "-p", prefix.toString(), "-c", conf.toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/stdout.log").toFile()).start();
        awaitListening(port);
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.destroy();
            if (!nginx.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) nginx.destroyForcibly();
        }
        for (AutoCloseable c : new AutoCloseable[]{replicaA, replicaB, engineA, engineB}) if (c != null) c.close();
    }

    /** The sample configuration as it ships (main resources: {@code configs/} travels in the engine's jar). */
    private static String sampleConfig() throws IOException {
        try (InputStream in = ServerNginxTest.class.getResourceAsStream("/configs/nginx/sequoia.conf")) {
            assertNotNull(in, "configs/nginx/sequoia.conf on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitListening(int p) throws Exception {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (true) {
            try (Socket s = new Socket("127.0.0.1", p)) {
                return;
            } catch (IOException notYet) {
                assertTrue(nginx.isAlive(), "nginx exited: " + Files.readString(prefix.resolve("logs/stdout.log")));
                assertTrue(System.nanoTime() < deadline, "nginx does not listen on " + p);
                Thread.sleep(50);
            }
        }
    }

    private static HttpResponse<String> viaNginx(String body, String conversation) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (conversation != null) b.header("X-Conversation-Id", conversation);
        return send(b.build());
    }

    @Test
    void aConversationStaysOnOneReplica() {
        Set<String> replicasUsed = new HashSet<>();
        for (int c = 0; c < 8; c++) {
            String id = "conversation-" + c;
            String prompt = "Once upon a time";
            String replica = null;
            for (int turn = 0; turn < 3; turn++) {
                HttpResponse<String> r = viaNginx(completion(prompt, 6, 0, 1, false), id);
                assertEquals(200, r.statusCode(), r.body());
                String served = r.headers().firstValue("X-Sequoia-Replica").orElseThrow();
                if (replica == null) replica = served;
                assertEquals(replica, served, id + " turn " + turn + " moved");
                JsonNodeView v = new JsonNodeView(r.body());
                if (turn > 0) assertTrue(v.fed() < v.promptTokens(), "the replica reused the conversation's session");
                prompt = prompt + v.text() + " Then";
            }
            replicasUsed.add(replica);
        }
        assertEquals(Set.of("127.0.0.1:" + replicaA.port(), "127.0.0.1:" + replicaB.port()), replicasUsed,
                "conversations are spread over both replicas");
    }

    private record JsonNodeView(String body) {
        int fed() { return json(body).at("/sequoia/prompt_tokens_fed").asInt(); }
        int promptTokens() { return json(body).at("/usage/prompt_tokens").asInt(); }
        String text() { return json(body).at("/choices/0/text").asText(); }
    }

    @Test
    void streamingPassesThroughUnbuffered() throws Exception {
        byte[] body = completion("Once upon a time", 400, 0.8, 3, true).getBytes(StandardCharsets.UTF_8);
        List<Long> arrivals = new ArrayList<>();
        StringBuilder received = new StringBuilder();
        long start;
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(body);
            s.getOutputStream().flush();
            start = System.nanoTime();
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = s.getInputStream().read(buffer)) > 0; ) {
                arrivals.add(System.nanoTime() - start);
                received.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
        }
        String all = received.toString();
        assertTrue(all.startsWith("HTTP/1.1 200"), all);
        assertTrue(all.contains("data: [DONE]"), "complete stream");
        int events = all.split("data: ").length - 1;
        assertTrue(events > 100, "a long stream: " + events + " events");
        // buffered, NGINX would pass the ~100 KB on in a few large pieces; unbuffered, events arrive as sent
        assertTrue(arrivals.size() >= events / 4, arrivals.size() + " arrivals for " + events + " events");
        long total = arrivals.getLast();
        assertTrue(arrivals.getFirst() < total / 4, "the first event arrives long before the last: "
                + arrivals.getFirst() / 1e6 + " ms of " + total / 1e6 + " ms");
    }
}
