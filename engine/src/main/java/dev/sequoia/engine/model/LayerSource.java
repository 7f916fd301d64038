package dev.sequoia.engine.model;

/**
 * Where the transformer gets each layer's weights during a forward pass. The resident source hands out the
 * views into the mapped file; a streaming source hands out views into a slot that a loader filled, and
 * reuses the slot once the layer is released.
 *
 * <p>Threading: called only by the thread running the forward pass, in layer order:
 * {@code beginPass(), acquire(0), release(0), acquire(1), ..., release(L-1), endPass()}.
 */
public interface LayerSource {
    /** A forward pass starts (a streaming source may already be loading layer 0). */
    default void beginPass() {}

    /** The weights of layer {@code layer}, blocking until they are available. */
    LayerWeights acquire(int layer);

    /** Layer {@code layer} is no longer needed in this pass; its memory may be reused. */
    default void release(int layer) {}

    /** The pass ended (normally or by an exception). */
    default void endPass() {}

    /** The layers exactly as the model holds them: nothing moves. */
    static LayerSource resident(LlamaWeights weights) {
        return layer -> weights.layers().get(layer);
    }
}
