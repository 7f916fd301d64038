package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.session.SharedForward;
import dev.sequoia.engine.speculative.RecordingModel;

import java.util.ArrayList;
import java.util.List;

/**
 * One sequence's device KV cache over a {@link CudaTransformer} shared by the engine's sessions, as the
 * speculative decoder (and a shared pass) sees a model: the CUDA twin of {@code speculative.TransformerModel}
 * (logits and forward time recorded by {@link RecordingModel}; a forward returns after its logits are on the
 * host). Models over the same transformer have the same {@link #passKey()}, so a shared pass runs their forwards
 * as one ({@link CudaTransformer#forward(List)}).
 *
 * <p>Confined to the engine thread; owns its cache (closed by the decoder through {@link #close()}), not the
 * transformer.
 */
final class CudaDecodingModel extends RecordingModel implements AutoCloseable {
    private final CudaTransformer transformer;
    private final CudaKvCache cache;
    private final int vocabSize;

    CudaDecodingModel(CudaTransformer transformer, CudaKvCache cache, int vocabSize) {
        this.transformer = transformer;
        this.cache = cache;
        this.vocabSize = vocabSize;
    }

    CudaTransformer transformer() { return transformer; }

    CudaKvCache deviceCache() { return cache; }

    /** The parts of a shared forward of {@code transformer} for requests of models over its caches. */
    static List<CudaTransformer.Part> parts(CudaTransformer transformer, List<SharedForward.Request> requests) {
        List<CudaTransformer.Part> parts = new ArrayList<>(requests.size());
        for (SharedForward.Request r : requests) {
            if (!(r.model() instanceof CudaDecodingModel m) || m.transformer != transformer) {
                throw new IllegalArgumentException("a shared CUDA forward got a request of another model: " + r.model());
            }
            parts.add(new CudaTransformer.Part(m.cache, r.tokens(), r.parents(), r.logitsFrom()));
        }
        return parts;
    }

    @Override
    public Key passKey() { return transformer.passKey(); }

    @Override
    protected float[][] forwardRows(int[] tokens, int[] parents) { return forwardRows(tokens, parents, 0); }

    @Override
    protected float[][] forwardRows(int[] tokens, int[] parents, int logitsFrom) {
        return transformer.forward(List.of(new CudaTransformer.Part(cache, tokens, parents, logitsFrom))).getFirst();
    }

    @Override
    protected void keepRows(int[] pendingIndices) { transformer.keep(cache, pendingIndices); }

    @Override
    public int committedLength() { return cache.committed(); }

    @Override
    public int vocabSize() { return vocabSize; }

    /**
     * Feeds and commits a chain straight into the cache (prefill), {@code PREFILL_CHUNK} tokens per forward, without
     * the classifier (no logits are read); records nothing.
     */
    void feedChain(int[] tokens) {
        dev.sequoia.engine.session.AutoregressiveDecoder.feedChunks(tokens,
                (chunk, parents) -> transformer.forward(List.of(new CudaTransformer.Part(cache, chunk, parents, chunk.length))),
                path -> transformer.keep(cache, path));
    }

    /** Drops committed rows from {@code length} on, every pending row, and what was recorded since the last keep. */
    void truncate(int length) {
        transformer.truncate(cache, length);
        discardPending();
    }

    @Override
    public void close() { cache.close(); }
}
