package dev.sequoia.engine.server;

/**
 * How the server listens and how much it admits.
 *
 * @param host             address to bind (loopback by default: put a reverse proxy in front for the network)
 * @param port             TCP port; 0 picks a free one
 * @param apiKey           the bearer key every {@code /v1} request must carry, or null for none
 * @param modelName        the model id clients name in {@code model} (and {@code /v1/models} lists)
 * @param maxRunning       generations running on the engine at once (they advance round-robin, a step each)
 * @param maxWaiting       requests queued for a running slot; one more is answered 429 with Retry-After
 * @param maxConversations conversations (sessions with their KV caches) kept for reuse; the least recently used
 *                         is closed past it
 * @param maxBodyBytes     largest request body; a larger one is answered 413
 * @param drainSeconds     on shutdown, how long running generations may finish before they are cancelled
 */
public record ServerSettings(String host, int port, String apiKey, String modelName, int maxRunning, int maxWaiting,
                             int maxConversations, long maxBodyBytes, int drainSeconds) {
    public static final long ONE_MIB = 1L << 20;

    public ServerSettings {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("--host must not be empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        if (apiKey != null && apiKey.isBlank()) apiKey = null;
        if (modelName == null || modelName.isBlank()) throw new IllegalArgumentException("a model name is required");
        if (maxRunning < 1) throw new IllegalArgumentException("--max-running must be >= 1, got " + maxRunning);
        if (maxWaiting < 0) throw new IllegalArgumentException("--max-waiting must be >= 0, got " + maxWaiting);
        if (maxConversations < 0) throw new IllegalArgumentException("--max-conversations must be >= 0, got " + maxConversations);
        if (maxBodyBytes < 1) throw new IllegalArgumentException("the body limit must be >= 1 byte");
        if (drainSeconds < 0) throw new IllegalArgumentException("--drain-seconds must be >= 0, got " + drainSeconds);
    }

    /** Loopback, an ephemeral port, no key, 32 running, 64 waiting, 64 conversations, 1 MiB bodies, 10 s drain. */
    public static ServerSettings defaults(String modelName) {
        return new ServerSettings("127.0.0.1", 0, null, modelName, 32, 64, 64, ONE_MIB, 10);
    }

    public ServerSettings withPort(int p) {
        return new ServerSettings(host, p, apiKey, modelName, maxRunning, maxWaiting, maxConversations, maxBodyBytes, drainSeconds);
    }

    public ServerSettings withApiKey(String key) {
        return new ServerSettings(host, port, key, modelName, maxRunning, maxWaiting, maxConversations, maxBodyBytes, drainSeconds);
    }

    public ServerSettings withLimits(int running, int waiting) {
        return new ServerSettings(host, port, apiKey, modelName, running, waiting, maxConversations, maxBodyBytes, drainSeconds);
    }
}
