package dev.sequoia.engine.speculative;

import dev.sequoia.decode.DecodingModel;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;

/**
 * A transformer and one sequence's KV cache, as the speculative decoder sees a model. Also remembers the
 * last forward's logits and the last kept path (so the engine can report the target's distribution at
 * each emitted token) and the time spent in forwards.
 *
 * <p>Confined to the engine thread.
 */
public final class TransformerModel implements DecodingModel {
    private final LlamaTransformer transformer;
    private final LayerSource layers;
    private final KvCache cache;
    private float[][] pendingLogits = new float[0][];
    private int pendingRows;
    private int[] lastKept = new int[0];
    private long forwardNanos;

    public TransformerModel(LlamaTransformer transformer, int capacity) {
        this(transformer, LayerSource.resident(transformer.weights()), capacity);
    }

    /** A model whose forwards take their layers from {@code layers} (for instance a streamed target). */
    public TransformerModel(LlamaTransformer transformer, LayerSource layers, int capacity) {
        this.transformer = transformer;
        this.layers = layers;
        this.cache = transformer.newCache(capacity);
    }

    public KvCache cache() { return cache; }

    public LayerSource layers() { return layers; }

    @Override
    public float[][] forward(int[] tokens, int[] parents) {
        long t0 = System.nanoTime();
        float[][] logits = transformer.forward(cache, tokens, parents, layers);
        forwardNanos += System.nanoTime() - t0;
        remember(logits);
        return logits;
    }

    /** Keeps every forward's logits since the last keep, indexed by pending row. */
    private void remember(float[][] logits) {
        if (pendingRows + logits.length > pendingLogits.length) {
            pendingLogits = java.util.Arrays.copyOf(pendingLogits, Math.max(16, 2 * (pendingRows + logits.length)));
        }
        System.arraycopy(logits, 0, pendingLogits, pendingRows, logits.length);
        pendingRows += logits.length;
    }

    @Override
    public void keep(int[] pendingIndices) {
        cache.keep(pendingIndices);
        lastKept = pendingIndices.clone();
        pendingRows = 0;
    }

    /** Logits of the pending rows kept by the last {@link #keep}, in path order (valid until the next forward). */
    public float[][] keptLogits() {
        float[][] out = new float[lastKept.length][];
        for (int i = 0; i < lastKept.length; i++) out[i] = pendingLogits[lastKept[i]];
        return out;
    }

    /** Total time in forwards. */
    public long forwardNanos() { return forwardNanos; }

    @Override
    public int committedLength() { return cache.committed(); }

    @Override
    public int vocabSize() { return transformer.config().vocabSize(); }
}
