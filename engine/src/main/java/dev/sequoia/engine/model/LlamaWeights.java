package dev.sequoia.engine.model;

import dev.sequoia.engine.tensor.WeightMatrix;

import java.util.List;

/**
 * All weights of a Llama-family model.
 *
 * @param tokenEmbedding {@code (vocab, dim)}; row t is token t's embedding
 * @param layers         the blocks in order
 * @param finalNorm      RMSNorm weight before the classifier, length dim
 * @param classifier     {@code (vocab, dim)}; the same view as the embedding when tied
 */
public record LlamaWeights(WeightMatrix tokenEmbedding, List<LayerWeights> layers, float[] finalNorm,
                           WeightMatrix classifier) {
    public LlamaWeights {
        layers = List.copyOf(layers);
    }
}
