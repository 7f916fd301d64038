package dev.sequoia.engine.cli;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.server.OpenAiServer;
import dev.sequoia.engine.server.ServerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code sequoia serve}: an OpenAI-compatible HTTP server on one engine until the process is stopped (SIGINT or
 * SIGTERM drain it: running generations finish or are cancelled, sessions and the engine are freed).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the model over an OpenAI-compatible HTTP API (chat and completions, streaming, /metrics, a chat page at /).")
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    EngineOptions engine = new EngineOptions();

    @Mixin
    ConfigFile configFile = new ConfigFile();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Require Authorization: Bearer KEY on /v1 requests (default: the SEQUOIA_API_KEY variable, else none).")
    String apiKey;

    @Option(names = "--model-name", paramLabel = "ID", description = "The model id clients send and /v1/models lists (default: the model file's name).")
    String modelName;

    @Option(names = "--max-running", defaultValue = "32", description = "Generations running at once (default: ${DEFAULT-VALUE}).")
    int maxRunning;

    @Option(names = "--max-waiting", defaultValue = "64", description = "Requests queued beyond those; more get 429 (default: ${DEFAULT-VALUE}).")
    int maxWaiting;

    @Option(names = "--max-conversations", defaultValue = "64", description = "Conversations (sessions and KV caches) kept for reuse (default: ${DEFAULT-VALUE}).")
    int maxConversations;

    @Option(names = "--drain-seconds", defaultValue = "10", description = "On shutdown, how long running generations may finish (default: ${DEFAULT-VALUE}).")
    int drainSeconds;

    @Option(names = "--request-timeout", defaultValue = "30", description = "Seconds a client has to send its request (default: ${DEFAULT-VALUE}).")
    int requestTimeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        ServerSettings settings = settings();
        String key = settings.apiKey(), name = settings.modelName();
        CountDownLatch stopped = new CountDownLatch(1);
        Engine opened = Engine.open(engine.config());
        OpenAiServer server;
        try {
            opened.offloadReport().forEach(spec.commandLine().getErr()::println);
            OpenAiServer.configureJdkHttpServer(requestTimeout); // JVM-wide: only once a server really starts
            server = OpenAiServer.start(opened, settings);
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            opened.close();
            stopped.countDown();
        }, "sequoia-serve-shutdown"));
        spec.commandLine().getErr().println("sequoia serve: " + name + " on " + server.baseUrl()
                + " (POST /v1/chat/completions, /v1/completions; GET /v1/models, /health, /metrics; chat page at /)"
                + (key == null ? "" : "; API key required"));
        spec.commandLine().getErr().flush();
        stopped.await();
        return 0;
    }

    /** How the server listens and admits, from the flags (the API key also from SEQUOIA_API_KEY). */
    ServerSettings settings() {
        String key = apiKey != null ? apiKey : System.getenv("SEQUOIA_API_KEY");
        return new ServerSettings(host, port, key, modelName != null ? modelName : defaultName(), maxRunning,
                maxWaiting, maxConversations, ServerSettings.ONE_MIB, drainSeconds);
    }

    private String defaultName() {
        String file = engine.models.model.getFileName().toString();
        int dot = file.lastIndexOf('.');
        return dot > 0 ? file.substring(0, dot) : file;
    }
}
