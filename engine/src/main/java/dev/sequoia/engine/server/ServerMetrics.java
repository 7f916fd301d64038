package dev.sequoia.engine.server;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.GenerationStats;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The server's {@code /metrics} in the Prometheus text format: requests running and waiting, time to first token,
 * tokens per second and per step, drafted against accepted tokens, and the target's layer streaming (GB/s, stall
 * fraction) when it is offloaded. One registry per server, so several servers can share a JVM.
 *
 * <p>Threading: any request thread records; the Prometheus client's metrics are thread-safe.
 */
final class ServerMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter requests;
    private final Histogram timeToFirstToken;
    private final Histogram tokensPerSecond;
    private final Histogram tokensPerStep;
    private final Counter generated;
    private final Counter drafted;
    private final Counter accepted;
    private final Counter sharedSteps;
    private final Histogram passShare;
    private final Counter generations;
    private final Counter disconnects;

    ServerMetrics(Engine engine, Admission admission) {
        requests = Counter.builder().name("sequoia_requests_total").help("HTTP requests answered, by endpoint and status")
                .labelNames("endpoint", "status").register(registry);
        timeToFirstToken = Histogram.builder().name("sequoia_time_to_first_token_seconds")
                .help("From a request's arrival to its first generated token (queueing and prefill included)")
                .classicOnly().classicExponentialUpperBounds(0.001, 2, 16).register(registry);
        tokensPerSecond = Histogram.builder().name("sequoia_request_tokens_per_second")
                .help("Generated tokens per second of each request's decoding (prefill excluded)")
                .classicOnly().classicExponentialUpperBounds(0.5, 2, 16).register(registry);
        tokensPerStep = Histogram.builder().name("sequoia_request_tokens_per_step")
                .help("Generated tokens per target forward of each request (1 for plain decoding)")
                .classicOnly().classicLinearUpperBounds(1, 0.5, 16).register(registry);
        generated = Counter.builder().name("sequoia_generated_tokens_total").help("Tokens generated").register(registry);
        drafted = Counter.builder().name("sequoia_drafted_tokens_total")
                .help("Draft tokens the target verified (tree nodes besides the roots, over all steps)").register(registry);
        accepted = Counter.builder().name("sequoia_accepted_tokens_total")
                .help("Drafted tokens the target accepted (each step emits its accepted tokens and one more)")
                .register(registry);
        sharedSteps = Counter.builder().name("sequoia_shared_steps_total")
                .help("Steps whose target pass verified other sessions' tokens too").register(registry);
        passShare = Histogram.builder().name("sequoia_request_pass_share")
                .help("Each request's mean share of its steps' target passes: its rows over the pass's rows (1 alone)")
                .classicOnly().classicLinearUpperBounds(0.1, 0.1, 10).register(registry);
        generations = Counter.builder().name("sequoia_generations_total").help("Generations ended, by why they stopped")
                .labelNames("stop_reason").register(registry);
        disconnects = Counter.builder().name("sequoia_client_disconnects_total")
                .help("Streaming clients that went away mid-stream (their generations were cancelled)").register(registry);
        GaugeWithCallback.builder().name("sequoia_requests_running").help("Generations running on the engine")
                .callback(cb -> cb.call(admission.running())).register(registry);
        GaugeWithCallback.builder().name("sequoia_requests_waiting").help("Requests queued for a running slot")
                .callback(cb -> cb.call(admission.waiting())).register(registry);
        GaugeWithCallback.builder().name("sequoia_open_sessions").help("Engine sessions open (their KV caches held)")
                .callback(cb -> cb.call(engine.openSessions())).register(registry);
        GaugeWithCallback.builder().name("sequoia_offload_gigabytes_per_second")
                .help("The target's layer streaming since start: bytes streamed per second of pass time (0 when resident)")
                .callback(cb -> cb.call(engine.streamingTotals().achievedGbps())).register(registry);
        GaugeWithCallback.builder().name("sequoia_offload_stall_fraction")
                .help("Fraction of the target's pass time spent waiting for streamed layers (0 when resident)")
                .callback(cb -> cb.call(engine.streamingTotals().stallFraction())).register(registry);
    }

    void answered(String endpoint, int status) {
        requests.labelValues(endpoint, Integer.toString(status)).inc();
    }

    void firstToken(long sinceArrivalNanos) {
        timeToFirstToken.observe(sinceArrivalNanos / 1e9);
    }

    void disconnected() {
        disconnects.inc();
    }

    /** A finished generation: why it stopped, its tokens, speed, speculation (the engine's counts) and pass sharing. */
    void generation(GenerationResult r) {
        GenerationStats s = r.stats();
        generations.labelValues(r.stopReason().name().toLowerCase()).inc();
        generated.inc(s.tokens());
        if (s.tokens() > 0 && s.tokensPerSecond() > 0) tokensPerSecond.observe(s.tokensPerSecond());
        if (s.targetForwards() > 0) tokensPerStep.observe(s.tokensPerStep());
        drafted.inc(s.draftedTokens());
        accepted.inc(s.acceptedTokens());
        sharedSteps.inc(s.sharedSteps());
        if (s.targetForwards() > 0) passShare.observe(s.passShare());
    }

    String contentType() { return PrometheusTextFormatWriter.CONTENT_TYPE; }

    void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }
}
