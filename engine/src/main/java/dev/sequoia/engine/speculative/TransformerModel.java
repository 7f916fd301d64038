package dev.sequoia.engine.speculative;

import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;

/**
 * A transformer and one sequence's KV cache, as the speculative decoder sees a model on the CPU backend
 * (logits and forward time recorded by {@link RecordingModel}).
 *
 * <p>Confined to the engine thread.
 */
public final class TransformerModel extends RecordingModel {
    private final LlamaTransformer transformer;
    private final LayerSource layers;
    private final KvCache cache;

    public TransformerModel(LlamaTransformer transformer, int capacity) {
        this(transformer, LayerSource.resident(transformer.weights()), capacity);
    }

    /** A model whose forwards take their layers from {@code layers} (for instance a streamed target). */
    public TransformerModel(LlamaTransformer transformer, LayerSource layers, int capacity) {
        this(transformer, layers, transformer.newCache(capacity));
    }

    /**
     * A model over a cache of the caller's making: the experiments' caches may hold more rows than the model's
     * context (a 1024-node tree after a prompt), while positions stay within it.
     */
    public TransformerModel(LlamaTransformer transformer, LayerSource layers, KvCache cache) {
        this.transformer = transformer;
        this.layers = layers;
        this.cache = cache;
    }

    @Override
    public KvCache cache() { return cache; }

    @Override
    public Key passKey() { return new CpuKey(transformer, layers); }

    public LayerSource layers() { return layers; }

    @Override
    protected float[][] forwardRows(int[] tokens, int[] parents) {
        return transformer.forward(cache, tokens, parents, layers);
    }

    @Override
    protected float[][] forwardRows(int[] tokens, int[] parents, int logitsFrom) {
        return transformer.forward(java.util.List.of(new LlamaTransformer.Part(cache, tokens, parents, logitsFrom)),
                layers).getFirst();
    }

    @Override
    protected void keepRows(int[] pendingIndices) { cache.keep(pendingIndices); }

    @Override
    public int committedLength() { return cache.committed(); }

    @Override
    public int vocabSize() { return transformer.config().vocabSize(); }
}
