package dev.sequoia.engine.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.Generation;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An OpenAI-compatible HTTP server on one {@link Engine}: {@code POST /v1/chat/completions}, {@code POST
 * /v1/completions} (whole or streamed as server-sent events), {@code GET /v1/models}, {@code /health},
 * {@code /metrics} (Prometheus) and a chat page at {@code /}.
 *
 * <p>Why the JDK's {@code com.sun.net.httpserver}: it ships with the JDK (no dependency), embeds in a few lines,
 * takes any executor, so each exchange runs on its own virtual thread and a slow or streaming client costs a
 * parked virtual thread rather than a platform thread; its request timeout and TCP no-delay are JVM settings
 * ({@link #configureJdkHttpServer}). What it lacks (HTTP/2, TLS termination, load balancing) belongs to the reverse
 * proxy in front of it (see {@code configs/nginx/}).
 *
 * <p>Ownership: the server owns its HTTP listener, executor and the sessions it opened; the caller owns the engine
 * and closes it after the server. {@link #close} drains: new requests get 503, running generations may finish for
 * {@code drainSeconds}, the rest are cancelled, then every session the server holds is closed.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(OpenAiServer.class.getName());
    private static final String PAGE = "/dev/sequoia/engine/server/index.html";

    private final Engine engine;
    private final ServerSettings settings;
    private final HttpServer http;
    private final ExecutorService executor;
    private final Admission admission;
    private final Conversations conversations;
    private final ServerMetrics metrics;
    private final CompletionHandler completions;
    private final byte[] page;
    private final String replica;
    private volatile boolean draining;

    private OpenAiServer(Engine engine, ServerSettings settings) throws IOException {
        this.engine = engine;
        this.settings = settings;
        this.admission = new Admission(settings.maxRunning(), settings.maxWaiting());
        this.conversations = new Conversations(engine, settings.maxConversations());
        this.metrics = new ServerMetrics(engine, admission);
        this.completions = new CompletionHandler(engine, settings, admission, conversations, metrics);
        this.page = resource(PAGE);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        this.http = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 128);
        http.setExecutor(executor);
        http.createContext("/", this::dispatch);
        this.replica = settings.host() + ":" + http.getAddress().getPort();
    }

    /**
     * Starts serving {@code engine}; chat requests are rendered with its target's chat template
     * ({@link Engine#chatTemplate()}).
     */
    public static OpenAiServer start(Engine engine, ServerSettings settings) throws IOException {
        OpenAiServer server = new OpenAiServer(engine, settings);
        server.http.start();
        return server;
    }

    /**
     * JVM-wide settings of the JDK's HTTP server, which it reads once when its first server is created: a request
     * (headers and body) must arrive within {@code requestTimeoutSeconds} or its connection is closed (a client
     * sending slowly holds nothing longer), and TCP no-delay, so each streamed token leaves at once. Settings made
     * earlier (on the command line) win.
     */
    public static void configureJdkHttpServer(int requestTimeoutSeconds) {
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", Integer.toString(requestTimeoutSeconds));
        }
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    /** The port it listens on (the chosen one when the settings said 0). */
    public int port() { return http.getAddress().getPort(); }

    /** {@code http://host:port}. */
    public String baseUrl() { return "http://" + settings.host() + ":" + port(); }

    public ServerSettings settings() { return settings; }

    /** Conversations kept for reuse now. */
    public int keptConversations() { return conversations.size(); }

    private void dispatch(HttpExchange exchange) {
        long arrival = System.nanoTime();
        String path = exchange.getRequestURI().getPath();
        String endpoint = endpointName(path);
        int status = 200;
        try (exchange) {
            exchange.getResponseHeaders().set("X-Sequoia-Replica", replica);
            try {
                route(exchange, path, arrival);
                status = exchange.getResponseCode();
            } catch (ApiException e) {
                status = e.status();
                if (exchange.getResponseCode() == -1) HttpIo.sendError(exchange, e);
            } catch (IOException e) {
                status = 499; // the client went away; nothing to answer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                status = 503;
            } catch (RuntimeException | Error e) {
                // our bug: the trace goes to the log, the client gets the error object without it
                LOG.log(Level.ERROR, "request " + path + " failed", e);
                status = 500;
                if (exchange.getResponseCode() == -1) {
                    HttpIo.sendError(exchange, new ApiException(500, "server_error", null, "internal_error",
                            "internal error (" + e.getClass().getSimpleName() + "); see the server log"));
                }
            }
        } catch (IOException e) {
            status = 499;
        } finally {
            metrics.answered(endpoint, status);
        }
    }

    private void route(HttpExchange exchange, String path, long arrival) throws IOException, InterruptedException {
        String method = exchange.getRequestMethod();
        switch (path) {
            case "/", "/index.html" -> {
                requireMethod(method, "GET");
                HttpIo.send(exchange, 200, "text/html; charset=utf-8", page);
            }
            case "/health" -> {
                requireMethod(method, "GET");
                ObjectNode body = OpenAiJson.MAPPER.createObjectNode().put("status", draining ? "draining" : "ok")
                        .put("model", settings.modelName()).put("running", admission.running())
                        .put("waiting", admission.waiting());
                HttpIo.sendJson(exchange, draining ? 503 : 200, body);
            }
            case "/metrics" -> {
                requireMethod(method, "GET");
                ByteArrayOutputStream text = new ByteArrayOutputStream();
                metrics.write(text);
                HttpIo.send(exchange, 200, metrics.contentType(), text.toByteArray());
            }
            case "/v1/models" -> {
                requireMethod(method, "GET");
                authorize(exchange);
                ObjectNode list = OpenAiJson.MAPPER.createObjectNode().put("object", "list");
                list.putArray("data").add(model());
                HttpIo.sendJson(exchange, 200, list);
            }
            case "/v1/chat/completions", "/v1/completions" -> {
                requireMethod(method, "POST");
                authorize(exchange);
                if (draining) throw new ApiException(503, "server_error", null, "shutting_down", "the server is shutting down");
                completions.handle(exchange, path.equals("/v1/chat/completions"), arrival);
            }
            default -> {
                if (path.equals("/v1/models/" + settings.modelName())) {
                    requireMethod(method, "GET");
                    authorize(exchange);
                    HttpIo.sendJson(exchange, 200, model());
                } else if (path.startsWith("/v1/models/")) {
                    authorize(exchange);
                    throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                            "the model '" + path.substring("/v1/models/".length()) + "' does not exist");
                } else {
                    throw new ApiException(404, "invalid_request_error", null, "unknown_url",
                            "unknown URL " + method + " " + path);
                }
            }
        }
    }

    private ObjectNode model() {
        return OpenAiJson.MAPPER.createObjectNode().put("id", settings.modelName()).put("object", "model")
                .put("created", 0).put("owned_by", "sequoia");
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiException(405, "invalid_request_error", null, "method_not_allowed",
                    "method " + method + " is not allowed here; use " + expected);
        }
    }

    /** 401 unless the request carries {@code Authorization: Bearer <key>} (when the server has a key). */
    private void authorize(HttpExchange exchange) {
        if (settings.apiKey() == null) return;
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        String given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), settings.apiKey().getBytes(StandardCharsets.UTF_8))) {
            throw new ApiException(401, "invalid_request_error", null, "invalid_api_key",
                    header == null ? "no API key given; send Authorization: Bearer <key>" : "incorrect API key provided");
        }
    }

    private static String endpointName(String path) {
        return switch (path) {
            case "/", "/index.html", "/health", "/metrics", "/v1/models", "/v1/chat/completions", "/v1/completions" -> path;
            default -> path.startsWith("/v1/models/") ? "/v1/models/{id}" : "other";
        };
    }

    private static byte[] resource(String name) {
        try (InputStream in = OpenAiServer.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Graceful shutdown: refuses new generations (503), lets running ones finish for the drain time, cancels the
     * rest, stops listening and closes every session the server holds. The engine stays open (its owner closes it).
     */
    @Override
    public void close() {
        draining = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.drainSeconds());
        while ((admission.running() > 0 || admission.waiting() > 0) && System.nanoTime() < deadline) sleep(20);
        completions.running().forEach(Generation::cancel);
        long cancelDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (admission.running() > 0 && System.nanoTime() < cancelDeadline) sleep(10);
        http.stop(5); // returns once the exchanges in flight have written their last bytes (at most 5 s)
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) LOG.log(Level.WARNING, "request threads still running after shutdown");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        conversations.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
