package dev.sequoia.engine.api;

import dev.sequoia.engine.sampling.Sampler;
import dev.sequoia.engine.sampling.Sampler.TokenLogprob;
import dev.sequoia.engine.session.PrefixCache;
import dev.sequoia.engine.session.StepDecoder;
import dev.sequoia.engine.session.StepDecoder.StepOutput;
import dev.sequoia.engine.tokenizer.Tokenizer;
import dev.sequoia.offload.telemetry.PassTelemetry;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * One generation as the engine thread runs it: {@link #start} appends the prompt to the session (restoring a
 * cached prefix), each {@link #step} runs one decoding step and applies the stop conditions.
 *
 * <p>The prompt is not fed at the start: a shared pass feeds it in the session's first round, ahead of the
 * step's rows ({@link SharedPassRunner}), so joining costs no weight pass of its own; a session stepping alone
 * feeds it just before its first step. Until then the session holds tokens past its caches' committed rows
 * ({@link #unfed()}); a turn cancelled before its first step leaves them there for the next turn to feed.
 *
 * <p>Confined to the engine thread.
 */
final class GenerationTask {
    private final SessionState session;
    private final GenerateRequest request;
    private final Generation handle;
    private final TokenListener listener;
    private final Tokenizer tokenizer;
    private final int[] stopTokens;
    private final Supplier<PassTelemetry> streaming;
    /** A chat turn: the whole rendered conversation, of which only what the session lacks is fed; else null. */
    private final int[] conversation;
    private final RandomGenerator random;
    private final List<Integer> generated = new ArrayList<>();
    private final List<TokenLogprob[]> logprobs = new ArrayList<>();
    private final Utf8Accumulator text = new Utf8Accumulator();
    private int[] promptTokens = new int[0];
    private int cachedTokens;
    private PrefixCache prefixCache;
    /** The session's length before this turn's prompt: a failure before the prompt is in the caches returns to it. */
    private int lengthBefore = -1;
    /** Whether this turn's prompt is in the caches (its first step has run). */
    private boolean promptFed;
    /** Rows to snapshot into the prefix cache once the prompt is fed, or 0. */
    private int snapshotRows;
    private int targetForwards, draftForwards, sharedSteps;
    private long drafted, accepted;
    private double passShares;
    private long startNanos, prefillNanos, draftNanos, verifyNanos, sampleNanos;
    private PassTelemetry streamedBefore = PassTelemetry.NONE;

    GenerationTask(SessionState session, GenerateRequest request, Generation handle, TokenListener listener,
                   Tokenizer tokenizer, int[] stopTokens, Supplier<PassTelemetry> streaming) {
        this(session, request, handle, listener, tokenizer, stopTokens, streaming, null);
    }

    GenerationTask(SessionState session, GenerateRequest request, Generation handle, TokenListener listener,
                   Tokenizer tokenizer, int[] stopTokens, Supplier<PassTelemetry> streaming, int[] conversation) {
        this.conversation = conversation;
        this.session = session;
        this.request = request;
        this.handle = handle;
        this.listener = listener;
        this.tokenizer = tokenizer;
        this.stopTokens = stopTokens;
        this.streaming = streaming;
        this.random = new SplittableRandom(request.sampling().seed());
    }

    Generation handle() { return handle; }

    GenerateRequest request() { return request; }

    /** This generation's own random stream: its draws are the same whoever shares its passes. */
    RandomGenerator random() { return random; }

    SessionState session() { return session; }

    /**
     * Ends this generation with {@code failure}: drops what its step left uncommitted so the session stays
     * consistent (and usable for its next turn), then fails the handle. A failure before the prompt was fed
     * (in the pass that carried it) drops the turn's prompt too, as a failed prefill always did. Never throws.
     */
    void fail(Throwable failure) {
        try {
            if (!session.closed) {
                if (!promptFed && lengthBefore >= 0) session.truncate(lengthBefore);
                session.decoder.truncate(Math.min(session.decoder.committed(), Math.max(0, session.length() - 1)));
            }
        } catch (RuntimeException | Error e) {
            failure.addSuppressed(e);
        }
        handle.fail(failure);
    }

    /** Ends a generation that never started (cancelled or its session closed while it waited its turn). */
    void cancelUnstarted() {
        handle.complete(new GenerationResult(new int[0], new int[0], "", StopReason.CANCELLED, List.of(),
                new GenerationStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, PassTelemetry.NONE)));
    }

    /** Whether it was cancelled, or its session is closing. */
    boolean cancelled() { return handle.isCancelled() || session.closeRequested; }

    /**
     * Tokenizes the prompt and appends it to the session; restores a cached prefix of it into the caches. The
     * rest, all but its last token, is fed by the first step ({@link #nextFeed}, {@link #step}).
     */
    void start(PrefixCache prefixCache) {
        startNanos = System.nanoTime();
        streamedBefore = streaming.get();
        this.prefixCache = prefixCache;
        StepDecoder decoder = session.decoder;
        if (conversation != null) keepCommonPrefix(decoder);
        boolean first = session.isEmpty();
        promptTokens = conversation != null ? java.util.Arrays.copyOfRange(conversation, session.length(),
                conversation.length) : encodePrompt(first);
        if (first && promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt is empty and the tokenizer has no BOS token to start from");
        }
        if (session.length() + promptTokens.length + decoder.rowsPerStep() > decoder.capacity()) {
            throw new IllegalArgumentException("the prompt (" + promptTokens.length + " tokens, " + session.length()
                    + " already in the session) does not fit the context of " + decoder.capacity() + " tokens");
        }
        int committedBefore = decoder.committed();
        lengthBefore = session.length();
        for (int t : promptTokens) session.append(t);
        try {
            if (first && decoder.supportsSnapshots()) restoreCachedPrefix(decoder);
        } catch (RuntimeException e) {
            // leave the session as it was before this turn, so it stays usable
            session.truncate(lengthBefore);
            decoder.truncate(committedBefore);
            throw e;
        }
        prefillNanos = System.nanoTime() - startNanos;
    }

    /** A session's first turn starts from the longest cached prefix of its prompt, and caches the prompt once fed. */
    private void restoreCachedPrefix(StepDecoder decoder) {
        int toFeed = session.length() - 1;
        PrefixCache.Entry hit = prefixCache.longestPrefix(promptTokens, toFeed);
        if (hit != null) {
            decoder.restore(hit.snapshots());
            cachedTokens = hit.tokens();
        }
        if (cachedTokens < toFeed) snapshotRows = toFeed;
    }

    /** Tokens of the session not in its caches yet, but the last one (the next step's root). */
    int unfed() { return session.length() - 1 - session.decoder.committed(); }

    /** The next at most {@code limit} tokens to feed (empty when the caches hold all but the root). */
    int[] nextFeed(int limit) {
        int from = session.decoder.committed();
        return session.range(from, from + Math.min(limit, unfed()));
    }

    /** The pass that feeds the end of the prompt and runs the first step is starting: the prompt's wait ends here. */
    void promptRidesPass() {
        if (!promptFed) prefillNanos = System.nanoTime() - startNanos;
    }

    /** The prompt is in the caches: a session's first prompt goes into the prefix cache. */
    private void promptInCaches() {
        if (promptFed) return;
        promptFed = true;
        if (snapshotRows > 0) prefixCache.put(session.range(0, snapshotRows), session.decoder.snapshot(snapshotRows));
    }

    /**
     * A chat turn keeps the session's longest common prefix with the rendered conversation (at least one token
     * of the conversation stays new, to be the next step's root) and drops the rest from the session and caches.
     */
    private void keepCommonPrefix(StepDecoder decoder) {
        int keep = 0, max = Math.min(session.length(), conversation.length - 1);
        while (keep < max && session.at(keep) == conversation[keep]) keep++;
        session.truncate(keep);
        decoder.truncate(Math.min(decoder.committed(), keep));
    }

    /** BOS first in a session, unless a prompt whose special tokens are parsed already starts with it. */
    private int[] encodePrompt(boolean first) {
        int bos = tokenizer.bos();
        boolean addBos = first && bos >= 0;
        int[] tokens = tokenizer.encode(request.prompt(), addBos, false, request.parseSpecial());
        if (addBos && tokens.length > 1 && tokens[1] == bos && request.parseSpecial()) {
            tokens = java.util.Arrays.copyOfRange(tokens, 1, tokens.length);
        }
        return tokens;
    }

    /**
     * Runs one step alone (the prompt's rest fed first with the decoder's own prefill); returns false once the
     * generation has ended (and its handle is completed).
     */
    boolean step() {
        StopReason stop = stopBeforeStep();
        if (stop != null) return finish(stop);
        if (unfed() > 0) {
            long t0 = System.nanoTime();
            session.decoder.feed(nextFeed(Integer.MAX_VALUE));
            prefillNanos += System.nanoTime() - t0;
        }
        StepOutput out = session.decoder.step(session.last(), request.sampling(), random);
        return apply(out, out.verifiedRows());
    }

    /** Why this generation must end before its next step (cancelled, long enough, context full), or null. */
    StopReason stopBeforeStep() {
        StepDecoder decoder = session.decoder;
        if (cancelled()) return StopReason.CANCELLED;
        if (generated.size() >= request.maxTokens()) return StopReason.MAX_TOKENS;
        if (session.length() + decoder.rowsPerStep() > decoder.capacity()) return StopReason.CONTEXT_LENGTH;
        return null;
    }

    /** Ends it before a step, for {@link #stopBeforeStep()}'s reason; returns false. */
    boolean finish(StopReason reason) {
        long total = System.nanoTime() - startNanos;
        GenerationStats stats = new GenerationStats(promptTokens.length - cachedTokens, cachedTokens,
                generated.size(), targetForwards, draftForwards, prefillNanos, draftNanos, verifyNanos,
                sampleNanos, total, since(streamedBefore, streaming.get()), drafted, accepted, sharedSteps,
                targetForwards == 0 ? 0 : passShares / targetForwards);
        int[] tokens = generated.stream().mapToInt(Integer::intValue).toArray();
        handle.complete(new GenerationResult(promptTokens, tokens, text.text(), reason, List.copyOf(logprobs), stats));
        return false;
    }

    /**
     * Takes one step's output: emits its tokens in order and applies the stop conditions after each (a stop,
     * a cancel or a close from a listener drops the step's later tokens from the caches). Returns false once
     * the generation has ended.
     *
     * @param passRows rows of the target pass the step's verification ran in (all sessions' together)
     */
    boolean apply(StepOutput out, int passRows) {
        promptInCaches();
        targetForwards++;
        drafted += out.drafted();
        accepted += out.tokens().length - 1;
        passShares += out.verifiedRows() / (double) Math.max(passRows, out.verifiedRows());
        if (passRows > out.verifiedRows()) sharedSteps++;
        draftForwards += out.draftForwards();
        draftNanos += out.draftNanos();
        verifyNanos += out.verifyNanos();
        sampleNanos += out.sampleNanos();
        for (int i = 0; i < out.tokens().length; i++) {
            StopReason stop = emit(out.tokens()[i], out.logits()[i]);
            if (stop != null) {
                session.decoder.truncate(session.length() - 1); // forget tokens accepted past the stop
                return finish(stop);
            }
        }
        return true;
    }

    private StopReason emit(int token, float[] logits) {
        int previous = session.last();
        session.append(token);
        generated.add(token);
        if (request.logprobs() > 0) logprobs.add(Sampler.topLogprobs(logits, request.logprobs()));
        handle.publish(token);
        if (isStopToken(token)) {
            listener.onToken(token, "");
            return StopReason.EOS;
        }
        int before = text.completeText().length();
        String piece = text.add(tokenizer.decode(previous, token));
        listener.onToken(token, piece);
        if (cancelled()) return StopReason.CANCELLED; // the listener (or another thread) cancelled or closed
        if (containsStopString(before)) return StopReason.STOP_STRING;
        if (generated.size() >= request.maxTokens()) return StopReason.MAX_TOKENS;
        return null;
    }

    private boolean isStopToken(int token) {
        for (int s : stopTokens) if (s == token) return true;
        return false;
    }

    private boolean containsStopString(int checkedLength) {
        CharSequence t = text.completeText();
        for (String stop : request.stopStrings()) {
            int from = Math.max(0, checkedLength - stop.length() + 1);
            if (!stop.isEmpty() && t.toString().indexOf(stop, from) >= 0) return true;
        }
        return false;
    }

    /** The streaming done between two readings of the running totals. */
    private static PassTelemetry since(PassTelemetry before, PassTelemetry now) {
        return new PassTelemetry(now.layersStreamed() - before.layersStreamed(), now.bytesStreamed() - before.bytesStreamed(),
                now.passNanos() - before.passNanos(), now.stallNanos() - before.stallNanos(),
                now.loadNanos() - before.loadNanos());
    }
}
