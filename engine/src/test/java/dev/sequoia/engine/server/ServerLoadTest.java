package dev.sequoia.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sequoia.engine.api.Engine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.sequoia.engine.server.TestServers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The server under load: 32 concurrent streaming clients (half on a speculative engine, half on a plain one, mixed
 * lengths and sampling) each get exactly what the same request gets alone; 1,000 requests leave native memory and
 * sessions flat; a disconnect storm leaves the server serving and every session freed.
 */
class ServerLoadTest {
    private static Engine speculative, plain;
    private static OpenAiServer specServer, plainServer;

    @BeforeAll
    static void start() {
        speculative = speculativeEngine();
        plain = plainEngine();
        specServer = TestServers.start(speculative);
        plainServer = TestServers.start(plain);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[]{specServer, plainServer, speculative, plain}) {
            try {
                if (c != null) c.close();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    /** One client's request: where it goes and what it asks. */
    private record Call(OpenAiServer server, String path, String body) {
        String streamedText() {
            HttpResponse<String> r = post(server, path, body);
            assertEquals(200, r.statusCode(), r.body());
            List<JsonNode> events = events(r.body());
            assertFalse(events.getLast().at("/choices/0/finish_reason").isNull(), "the stream finished: " + r.body());
            return TestServers.streamedText(events);
        }
    }

    private static List<Call> mixedCalls(int count, int[] lengths) {
        String[] prompts = {"Once upon a time", "The little dog", "Lily and Tom went to the park", "One day", "The sun"};
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            OpenAiServer s = i % 2 == 0 ? specServer : plainServer;
            int n = lengths[i % lengths.length];
            double t = i % 3 == 0 ? 0 : 0.8;
            boolean chat = i % 4 == 1;
            String body = chat ? chat(prompts[i % prompts.length], n, t, 100 + i, true)
                    : completion(prompts[i % prompts.length], n, t, 100 + i, true);
            calls.add(new Call(s, chat ? "/v1/chat/completions" : "/v1/completions", body));
        }
        return calls;
    }

    /** Runs every call at once (released together) and returns their texts in order. */
    private static List<String> concurrently(List<Call> calls) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> futures = new ArrayList<>();
            for (Call c : calls) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return c.streamedText();
                }));
            }
            go.countDown();
            List<String> out = new ArrayList<>();
            for (Future<String> f : futures) out.add(f.get());
            return out;
        }
    }

    @Test
    void thirtyTwoConcurrentStreamsEachGetWhatTheyGetAlone() throws Exception {
        List<Call> calls = mixedCalls(32, new int[]{8, 200, 40, 120, 16, 64});
        List<String> alone = new ArrayList<>();
        for (Call c : calls) alone.add(c.streamedText());
        for (int round = 0; round < 2; round++) {
            List<String> together = concurrently(calls);
            for (int i = 0; i < calls.size(); i++) {
                assertEquals(alone.get(i), together.get(i), "round " + round + ", client " + i + ": " + calls.get(i).body());
            }
        }
        assertTrue(specServer.settings().maxRunning() >= 16 && plainServer.settings().maxRunning() >= 16);
        assertEquals(0, speculative.openSessions() + plain.openSessions(), "every per-request session is closed");
    }

    @Test
    void nativeMemoryAndSessionsStayFlatOverAThousandRequests() throws Exception {
        // its own engine without the prompt-prefix cache: that cache is bounded by design (64 MiB by default) and
        // would fill during the run; what must stay flat is everything else
        try (Engine engine = dev.sequoia.engine.api.Engine.open(plainConfig().prefixCacheBytes(0).build());
             OpenAiServer server = TestServers.start(engine)) {
            List<Long> native_ = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
                for (int batch = 0; batch < 10; batch++) {
                    List<Future<Integer>> statuses = new ArrayList<>();
                    for (int i = 0; i < 100; i++) {
                        int k = batch * 100 + i;
                        String body = completion("Once upon a time " + (k % 7), 4, 0.8, k, k % 2 == 0);
                        // every third request names one of 100 conversations: more than the 64 kept, so eviction runs
                        String[] headers = k % 3 == 0 ? new String[]{"X-Conversation-Id", "c" + (k % 100)} : new String[0];
                        statuses.add(pool.submit(() -> post(server, "/v1/completions", body, headers).statusCode()));
                    }
                    for (Future<Integer> f : statuses) assertEquals(200, f.get());
                    if (batch == 3 || batch == 6 || batch == 9) native_.add(nativeBytes());
                }
            }
            assertEquals(server.keptConversations(), engine.openSessions(), "sessions: only the kept conversations");
            assertTrue(server.keptConversations() <= 64);
            long kvPerSession = engine.kvBytes() / Math.max(1, engine.openSessions());
            assertEquals(engine.openSessions() * kvPerSession, engine.kvBytes());
            // flat: within the noise of RSS (about 40 MiB here); one leaked session per request (640 KiB of KV each)
            // would add some 380 MiB over these 600 requests
            long growth = native_.get(2) - native_.get(0);
            assertTrue(growth < 64L << 20, "native memory (RSS less the JVM's committed heap and non-heap) grew "
                    + (growth >> 20) + " MiB from request 400 to 1000: " + native_.stream().map(b -> (b >> 20) + " MiB").toList());
        }
    }

    /** Native bytes outside the JVM's heap and non-heap pools: resident set size less committed heap and non-heap. */
    private static long nativeBytes() throws IOException {
        System.gc();
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) rss = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
        var mem = ManagementFactory.getMemoryMXBean();
        long jvm = mem.getHeapMemoryUsage().getCommitted() + mem.getNonHeapMemoryUsage().getCommitted();
        return rss - jvm;
    }

    @Test
    void aDisconnectStormLeavesTheServerServingAndTheSessionsFreed() throws Exception {
        String cancelled = "sequoia_generations_total{stop_reason=\"cancelled\"}";
        double cancelledBefore = orZero(metric(plainServer, cancelled)) + orZero(metric(specServer, cancelled));
        List<Call> calls = mixedCalls(32, new int[]{200, 120});
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < calls.size(); i++) {
                Call c = calls.get(i);
                boolean drop = i % 2 == 1;
                futures.add(pool.submit(() -> {
                    go.await();
                    if (drop) dropAfterFirstBytes(c);
                    else c.streamedText();
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : futures) f.get();
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (speculative.openSessions() + plain.openSessions() > 0) {
            assertTrue(System.nanoTime() < deadline, "sessions left open: " + (speculative.openSessions() + plain.openSessions()));
            Thread.sleep(10);
        }
        double cancelledAfter = orZero(metric(plainServer, cancelled)) + orZero(metric(specServer, cancelled));
        assertEquals(16, cancelledAfter - cancelledBefore, 0, "every dropped client's generation was cancelled");
        for (OpenAiServer s : new OpenAiServer[]{specServer, plainServer}) {
            HttpResponse<String> next = post(s, "/v1/completions", completion("Lily", 6, 0, 1, false));
            assertEquals(200, next.statusCode());
            assertEquals(0, json(get(s, "/health").body()).get("running").asInt());
        }
    }

    private static double orZero(double v) { return Double.isNaN(v) ? 0 : v; }

    /** Sends the call on a raw connection, reads the first bytes of the stream and hangs up. */
    private static void dropAfterFirstBytes(Call c) throws IOException {
        try (Socket s = new Socket("127.0.0.1", c.server().port())) {
            byte[] body = c.body().getBytes(StandardCharsets.UTF_8);
            s.getOutputStream().write(("POST " + c.path() + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(body);
            s.getOutputStream().flush();
            byte[] some = new byte[600];
            int read = 0;
            while (read < some.length) {
                int n = s.getInputStream().read(some, read, some.length - read);
                if (n < 0) break;
                read += n;
            }
            assertTrue(new String(some, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
        }
    }
}
