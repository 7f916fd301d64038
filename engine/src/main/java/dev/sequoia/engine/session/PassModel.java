package dev.sequoia.engine.session;

import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;

/**
 * One sequence's model (a transformer with that sequence's KV cache) as a shared pass sees it: forwards of
 * models with equal {@link #passKey()}s run as one batched forward ({@link SharedForward}); a model without a
 * key runs its forwards alone.
 *
 * <p>Confined to the engine thread.
 */
public interface PassModel {
    /** Which models' forwards can share one pass: the same transformer over the same layers. */
    record Key(LlamaTransformer transformer, LayerSource layers) {
    }

    /** This model's key, or null when its backend runs forwards one sequence at a time (CUDA today). */
    default Key passKey() { return null; }

    /** This sequence's cache (models with a key only). */
    default KvCache cache() {
        throw new UnsupportedOperationException("this model does not join shared passes");
    }

    /** A forward of this sequence alone: appends the rows and returns their logits. */
    float[][] forward(int[] tokens, int[] parents);

    /** Takes note of logits that a shared pass computed for this model's rows, and the pass's wall time. */
    void recordShared(float[][] logits, long nanos);
}
