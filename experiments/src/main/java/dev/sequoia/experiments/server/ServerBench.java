package dev.sequoia.experiments.server;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.server.OpenAiServer;
import dev.sequoia.engine.server.ServerSettings;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's numbers on the tiny real pair: requests per second and time to first token (client side, from
 * sending the request to the first content event) at 1, 8 and 32 concurrent streaming clients, and the server's
 * overhead per token against the engine alone (the same greedy generations through {@code Session.generate} with
 * a listener, one at a time, alternated with the same through HTTP streaming; medians of the repeats).
 *
 * <pre>
 * flock /tmp/sequoia-bench.lock java ... dev.sequoia.experiments.server.ServerBench --models DIR [--tree 4x3] [--threads 1]
 * </pre>
 */
public final class ServerBench {
    private static final String[] PROMPTS = {"Once upon a time", "The little dog", "Lily and Tom went to the park",
            "One day", "The sun was shining"};

    public static void main(String[] args) throws Exception {
        Path models = Path.of(option(args, "--models", "engine/src/main/resources/dev/sequoia/engine/models/stories260K"));
        String tree = option(args, "--tree", "4x3");
        int threads = Integer.parseInt(option(args, "--threads", "1"));
        int tokens = Integer.parseInt(option(args, "--tokens", "64"));
        // --target: another target of the same vocabulary (a planted model, say), to see the overhead at a
        // realistic time per token; the tiny pair's draft and tokenizer go with it
        String targetPath = option(args, "--target", null);
        ModelSpec target = new ModelSpec(targetPath == null ? models.resolve("stories260K.bin") : Path.of(targetPath),
                models.resolve("tok512.bin"));
        int repeats = Integer.parseInt(option(args, "--repeats", "15"));
        boolean overheadOnly = Boolean.parseBoolean(option(args, "--overhead-only", "false"));
        ModelSpec draft = tree.equals("none") ? null
                : new ModelSpec(models.resolve("draft-stories260K-d32.bin"), models.resolve("tok512.bin"));
        EngineConfig config = EngineConfig.builder(target).threads(threads).draft(draft).tree(tree).build();
        OpenAiServer.configureJdkHttpServer(30);
        try (Engine engine = Engine.open(config);
             OpenAiServer server = OpenAiServer.start(engine, ServerSettings.defaults("stories260K").withLimits(32, 64))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            System.out.printf(Locale.ROOT, "tree %s, threads %d, %d tokens per request (greedy, streamed)%n", tree, threads, tokens);
            for (int i = 0; i < (overheadOnly ? 3 : 20); i++) stream(http, server, i, tokens); // warm-up
            if (!overheadOnly) {
                System.out.println("| clients | requests | requests/s | tokens/s | TTFT median ms | TTFT p90 ms |");
                System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: |");
                for (int clients : new int[]{1, 8, 32}) concurrency(http, server, clients, Math.max(32, clients * 4), tokens);
            }
            overhead(http, server, engine, tokens, repeats);
        }
    }

    private static void concurrency(HttpClient http, OpenAiServer server, int clients, int requests, int tokens) throws Exception {
        List<Long> ttft = Collections.synchronizedList(new ArrayList<>());
        long[] generated = new long[1];
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients, Thread.ofVirtual().factory())) {
            List<Future<long[]>> futures = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                int k = i;
                futures.add(pool.submit(() -> stream(http, server, k, tokens)));
            }
            for (Future<long[]> f : futures) {
                long[] r = f.get();
                ttft.add(r[0]);
                generated[0] += r[1];
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Collections.sort(ttft);
        System.out.printf(Locale.ROOT, "| %d | %d | %.1f | %.0f | %.1f | %.1f |%n", clients, requests, requests / seconds,
                generated[0] / seconds, ttft.get(ttft.size() / 2) / 1e6, ttft.get((int) (ttft.size() * 0.9)) / 1e6);
    }

    private static final Pattern COMPLETION_TOKENS = Pattern.compile("\"completion_tokens\":(\\d+)");

    /** One streamed completion: {nanoseconds to the first event, tokens generated (its usage), total nanoseconds}. */
    private static long[] stream(HttpClient http, OpenAiServer server, int k, int tokens) throws IOException, InterruptedException {
        String body = "{\"prompt\": \"" + PROMPTS[k % PROMPTS.length] + "\", \"max_tokens\": " + tokens
                + ", \"temperature\": 0, \"stream\": true, \"stream_options\": {\"include_usage\": true}}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build();
        long start = System.nanoTime();
        HttpResponse<java.io.InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        long first = 0, generated = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: {")) continue;
                if (first == 0) first = System.nanoTime() - start;
                Matcher usage = COMPLETION_TOKENS.matcher(line);
                if (usage.find()) generated = Long.parseLong(usage.group(1));
            }
        }
        if (response.statusCode() != 200) throw new IllegalStateException("status " + response.statusCode());
        return new long[]{first, generated, System.nanoTime() - start};
    }

    /** Seconds per generated token: engine alone vs through the server, alternated, medians of the repeats. */
    private static void overhead(HttpClient http, OpenAiServer server, Engine engine, int tokens, int repeats) throws Exception {
        List<Double> alone = new ArrayList<>(), served = new ArrayList<>();
        for (int repeat = 0; repeat < repeats; repeat++) {
            long generated = 0, start = System.nanoTime();
            for (int k = 0; k < PROMPTS.length * 2; k++) {
                try (Session s = engine.openSession()) {
                    GenerationResult r = s.generate(GenerateRequest.greedy(PROMPTS[k % PROMPTS.length], tokens), (t, text) -> {}).await();
                    generated += r.tokens().length;
                }
            }
            alone.add((System.nanoTime() - start) / 1e9 / generated);
            start = System.nanoTime();
            for (int k = 0; k < PROMPTS.length * 2; k++) stream(http, server, k, tokens);
            served.add((System.nanoTime() - start) / 1e9 / generated); // same greedy requests: same token count
        }
        Collections.sort(alone);
        Collections.sort(served);
        double a = alone.get(alone.size() / 2), s = served.get(served.size() / 2);
        System.out.printf(Locale.ROOT, "per token: engine alone %.1f us, through the server (HTTP, SSE, client) %.1f us: overhead %.1f%%%n",
                a * 1e6, s * 1e6, (s / a - 1) * 100);
    }

    private static String option(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return args[i + 1];
        return fallback;
    }
}
