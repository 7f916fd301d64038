package dev.sequoia.experiments.pair;

import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.speculative.RecordingModel;

/**
 * A model and one sequence's KV cache for the experiments' decoding loops. Unlike the engine's sessions, its
 * cache may hold more rows than the model's context length: a 1024-node tree after a prompt needs more than
 * stories260K's 512 rows, although its positions (prefix length + node depth) stay within the context.
 */
public final class PairModel extends RecordingModel {
    private final LlamaTransformer transformer;
    private final LayerSource layers;
    private final KvCache cache;

    public PairModel(LlamaTransformer transformer, LayerSource layers, int rows) {
        this.transformer = transformer;
        this.layers = layers;
        this.cache = new KvCache(transformer.config().layers(), transformer.config().kvDim(), rows);
    }

    public KvCache cache() { return cache; }

    @Override
    protected float[][] forwardRows(int[] tokens, int[] parents) {
        return transformer.forward(cache, tokens, parents, layers);
    }

    @Override
    protected void keepRows(int[] pendingIndices) { cache.keep(pendingIndices); }

    @Override
    public int committedLength() { return cache.committed(); }

    @Override
    public int vocabSize() { return transformer.config().vocabSize(); }
}
