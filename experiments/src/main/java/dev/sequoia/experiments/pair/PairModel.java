package dev.sequoia.experiments.pair;

import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.speculative.TransformerModel;

/**
 * A model and one sequence's KV cache for the experiments' decoding loops: the engine's {@link TransformerModel}
 * over a cache that, unlike a session's, may hold more rows than the model's context length (a 1024-node tree
 * after a prompt needs more than stories260K's 512 rows, although its positions stay within the context).
 */
public final class PairModel {
    private PairModel() {}

    public static TransformerModel of(LlamaTransformer transformer, LayerSource layers, int rows) {
        return new TransformerModel(transformer, layers,
                new KvCache(transformer.config().layers(), transformer.config().kvDim(), rows));
    }
}
