package dev.sequoia.engine.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.Generation;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.TokenListener;
import dev.sequoia.engine.chat.ChatMessage;
import dev.sequoia.engine.chat.ChatTemplate;
import dev.sequoia.engine.sampling.SamplingParams;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: a validated request becomes one generation
 * on an engine session, answered whole or streamed as server-sent events. A streaming client that goes away is
 * noticed at the next write, and its generation is cancelled before the engine's next step.
 *
 * <p>Threading: each request runs on its own virtual thread; the engine thread only appends to the request's
 * piece queue (a listener must never block it).
 */
final class CompletionHandler {
    /** Top entries the engine reports per position when logprobs are asked for (OpenAI's most, 20). */
    static final int ENGINE_TOP_LOGPROBS = 20;
    /** The header that names a conversation (for session reuse and for a proxy's affinity). */
    static final String CONVERSATION_HEADER = "X-Conversation-Id";
    private static final String END = new String("end of generation"); // compared by identity

    private final Engine engine;
    private final ServerSettings settings;
    private final Admission admission;
    private final Conversations conversations;
    private final ServerMetrics metrics;
    private final int context;
    private final Set<Generation> running = ConcurrentHashMap.newKeySet();

    CompletionHandler(Engine engine, ServerSettings settings, Admission admission, Conversations conversations,
                      ServerMetrics metrics) {
        this.engine = engine;
        this.settings = settings;
        this.admission = admission;
        this.conversations = conversations;
        this.metrics = metrics;
        this.context = sessionContext(engine);
    }

    /** Tokens a session holds at most: the configured context, within the target's (and the draft's). */
    static int sessionContext(Engine engine) {
        int c = engine.target().config().contextLength();
        if (engine.config().contextLength() > 0) c = Math.min(c, engine.config().contextLength());
        if (engine.trees() != null) c = Math.min(c, engine.draft().config().contextLength());
        return c;
    }

    /** Generations running now (shutdown cancels them). */
    Set<Generation> running() { return running; }

    void handle(HttpExchange exchange, boolean chat, long arrivalNanos) throws IOException, InterruptedException {
        CompletionRequest request = CompletionRequest.parse(HttpIo.readJson(exchange, settings.maxBodyBytes()), chat);
        if (request.model() != null && !request.model().equals(settings.modelName())) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                    "the model '" + request.model() + "' does not exist; this server serves '" + settings.modelName() + "'");
        }
        int promptTokens = chat ? chatTokens(request.messages()).length
                : engine.tokenizer().encode(request.prompt(), engine.tokenizer().bos() >= 0, false).length;
        int maxTokens = tokenBudget(request, promptTokens);
        GenerateRequest generate = new GenerateRequest("", maxTokens,
                new SamplingParams(request.temperature(), 0, request.topP(), request.seed()), request.stop(),
                request.wantsLogprobs() ? ENGINE_TOP_LOGPROBS : 0);
        Admission.Slot slot = admission.enter();
        if (slot == null) {
            exchange.getResponseHeaders().set("Retry-After", "1");
            throw new ApiException(429, "rate_limit_error", null, "rate_limit_exceeded", "the server is busy: "
                    + settings.maxRunning() + " generations running and " + settings.maxWaiting() + " waiting; retry later");
        }
        try (slot) {
            String header = exchange.getRequestHeaders().getFirst(CONVERSATION_HEADER);
            String id = header != null ? header : request.user();
            Conversations.Lease lease = chat ? conversations.leaseChat(id) : conversations.lease(id, request.prompt());
            Reply reply = new Reply(request, new OpenAiJson(chat, (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID(),
                    System.currentTimeMillis() / 1000, settings.modelName()), promptTokens, arrivalNanos);
            run(exchange, slot, lease, generate, reply);
        }
    }

    /**
     * The tokens of the whole conversation as the model's chat template renders it (what {@link
     * dev.sequoia.engine.api.Session#chat} renders again, and feeds past what the session holds); a template that
     * refuses the conversation (say, roles that do not alternate) is a 400 on {@code messages}.
     */
    private int[] chatTokens(List<ChatMessage> messages) {
        try {
            return engine.chatTemplate().encodeConversation(engine.tokenizer(), messages, true);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("messages", e.getMessage());
        }
    }

    /** The most tokens to generate: as asked (400 past the context), else the rest of the context (16 for completions). */
    private int tokenBudget(CompletionRequest request, int promptTokens) {
        String param = request.chat() ? "messages" : "prompt";
        if (promptTokens >= context) {
            throw new ApiException(400, "invalid_request_error", param, "context_length_exceeded", "the prompt has "
                    + promptTokens + " tokens; the context holds " + context);
        }
        if (request.maxTokens() == null) return request.chat() ? context - promptTokens : Math.min(16, context - promptTokens);
        if (promptTokens + (long) request.maxTokens() > context) {
            throw new ApiException(400, "invalid_request_error", "max_tokens", "context_length_exceeded",
                    "max_tokens " + request.maxTokens() + " plus the prompt's " + promptTokens
                            + " tokens exceeds the context of " + context + " tokens");
        }
        return request.maxTokens();
    }

    /** What one request answers with, beside the generation itself. */
    private record Reply(CompletionRequest request, OpenAiJson json, int promptTokens, long arrivalNanos) {}

    /**
     * Starts the generation on the lent session: a chat turn renders the conversation and feeds what the session
     * lacks; a completion feeds the prompt text the session does not hold yet.
     */
    private void run(HttpExchange exchange, Admission.Slot slot, Conversations.Lease lease, GenerateRequest generate,
                     Reply reply) throws IOException, InterruptedException {
        BlockingQueue<String> pieces = new LinkedBlockingQueue<>();
        AtomicLong firstTokenAt = new AtomicLong();
        TokenListener listener = (token, text) -> {
            firstTokenAt.compareAndSet(0, System.nanoTime());
            pieces.add(text);
        };
        Generation generation;
        try {
            generation = reply.request().chat() ? lease.session.chat(reply.request().messages(), generate, listener)
                    : lease.session.generate(new GenerateRequest(lease.feed, generate.maxTokens(), generate.sampling(),
                            generate.stopStrings(), generate.logprobs()), listener);
        } catch (RuntimeException e) {
            lease.release(null);
            throw e;
        }
        // completes on the engine thread after every piece was added: END comes last
        generation.result().whenComplete((r, e) -> pieces.add(END));
        running.add(generation);
        Ending ending = new Ending(slot, lease, generation, firstTokenAt, reply.arrivalNanos());
        try {
            if (reply.request().stream()) stream(exchange, generation, pieces, reply, ending);
            else whole(exchange, generation, reply, ending);
        } finally {
            ending.end(null); // no-op when the generation ended normally
        }
    }

    /**
     * What a finished generation sets free, once: its running slot, and its session, which goes back to its
     * conversation (or is closed); before the client sees the end of the reply, so a client that got its answer
     * finds both freed.
     */
    private final class Ending {
        private final Admission.Slot slot;
        private final Conversations.Lease lease;
        private final Generation generation;
        private final AtomicLong firstTokenAt;
        private final long arrivalNanos;
        private boolean ended;

        Ending(Admission.Slot slot, Conversations.Lease lease, Generation generation, AtomicLong firstTokenAt,
               long arrivalNanos) {
            this.slot = slot;
            this.lease = lease;
            this.generation = generation;
            this.firstTokenAt = firstTokenAt;
            this.arrivalNanos = arrivalNanos;
        }

        /** {@code result} null: the generation failed (or the request did), and the conversation is forgotten. */
        void end(GenerationResult result) {
            if (ended) return;
            ended = true;
            running.remove(generation);
            lease.release(result == null ? null : result.text());
            slot.close();
            if (result != null) {
                if (firstTokenAt.get() != 0) metrics.firstToken(firstTokenAt.get() - arrivalNanos);
                metrics.generation(result);
            }
        }
    }

    private void whole(HttpExchange exchange, Generation generation, Reply reply, Ending ending) throws IOException {
        GenerationResult r = await(generation); // on failure run() ends it with nothing to keep
        ending.end(r);
        StopFilter filter = new StopFilter(reply.request().stop());
        String text = filter.add(r.text()) + filter.flush();
        ObjectNode logprobs = reply.json().logprobs(r, reply.request().logprobs(), engine.tokenizer());
        HttpIo.sendJson(exchange, 200, reply.json().response(text, r, logprobs, reply.promptTokens()));
    }

    /**
     * Streams the reply; the response starts with the first piece (or the end), so a generation that fails before
     * producing anything is still answered with an error status.
     */
    private void stream(HttpExchange exchange, Generation generation, BlockingQueue<String> pieces, Reply reply,
                        Ending ending) throws IOException, InterruptedException {
        StopFilter filter = new StopFilter(reply.request().stop());
        OutputStream out = null;
        boolean gone = false;
        for (String piece; (piece = pieces.take()) != END; ) {
            // a speculative step emits several tokens at once: send what has arrived as one event
            StringBuilder arrived = new StringBuilder(piece);
            for (String more; (more = pieces.peek()) != null && more != END; ) arrived.append(pieces.poll());
            String shown = filter.add(arrived.toString());
            if (gone || shown.isEmpty()) continue;
            try {
                if (out == null) out = open(exchange, reply);
                HttpIo.event(out, reply.json().textChunk(shown));
            } catch (IOException clientLeft) {
                gone = true;
                generation.cancel(); // ends before the engine's next step
                metrics.disconnected();
            }
        }
        GenerationResult r;
        try {
            r = await(generation);
        } catch (ApiException e) {
            ending.end(null);
            if (out == null) throw e;
            if (!gone) endWithError(out, e);
            return;
        }
        ending.end(r);
        if (gone) return;
        try {
            if (out == null) out = open(exchange, reply);
            String tail = filter.flush();
            if (!tail.isEmpty()) HttpIo.event(out, reply.json().textChunk(tail));
            ObjectNode logprobs = reply.json().logprobs(r, reply.request().logprobs(), engine.tokenizer());
            HttpIo.event(out, reply.json().finishChunk(r, logprobs));
            if (reply.request().includeUsage()) HttpIo.event(out, reply.json().usageChunk(r, reply.promptTokens()));
            HttpIo.event(out, "[DONE]");
            out.close();
        } catch (IOException clientLeftAtTheEnd) {
            // the generation is over; nothing to cancel
        }
    }

    private OutputStream open(HttpExchange exchange, Reply reply) throws IOException {
        OutputStream out = HttpIo.startEvents(exchange);
        if (reply.request().chat()) HttpIo.event(out, reply.json().roleChunk());
        return out;
    }

    private static void endWithError(OutputStream out, ApiException e) {
        try {
            HttpIo.event(out, OpenAiJson.error(e));
            HttpIo.event(out, "[DONE]");
            out.close();
        } catch (IOException ignored) {
            // the client is gone as well
        }
    }

    /** The generation's result; its failure as the error a client should see. */
    private static GenerationResult await(Generation generation) {
        try {
            return generation.result().join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof IllegalArgumentException) {
                throw new ApiException(400, "invalid_request_error", null, "context_length_exceeded", cause.getMessage());
            }
            if (cause instanceof IllegalStateException) {
                throw new ApiException(503, "server_error", null, "unavailable", "the generation was stopped: " + cause.getMessage());
            }
            throw new ApiException(500, "server_error", null, "generation_failed", "the generation failed: "
                    + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
        }
    }
}
