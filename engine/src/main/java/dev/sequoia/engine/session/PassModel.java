package dev.sequoia.engine.session;

import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;

import java.util.ArrayList;
import java.util.List;

/**
 * One sequence's model (a transformer with that sequence's KV cache) as a shared pass sees it: forwards of
 * models with equal {@link #passKey()}s run as one batched forward ({@link SharedForward}); a model without a
 * key runs its forwards alone.
 *
 * <p>A step's forward becomes a {@link SharedForward.Request} through {@link #request}, which puts any prompt
 * chain the model feeds ahead of the step ({@link FeedAhead}) in front of the step's rows.
 *
 * <p>Confined to the engine thread.
 */
public interface PassModel {
    /**
     * Which models' forwards can share one pass (models with equal keys), and how such a pass runs: one forward
     * over every request's rows, each request against its own model's cache.
     */
    interface Key {
        /**
         * Runs {@code requests} (every one of whose models has this key) as one forward: appends each request's rows
         * to its model's cache and returns the logits of each request's rows from its {@code logitsFrom} on, in
         * request order. On an exception every cache is left as it was.
         */
        List<float[][]> forward(List<SharedForward.Request> requests);
    }

    /** The CPU backend's key: the same transformer over the same layers; the caches are the models' {@link #cache()}s. */
    record CpuKey(LlamaTransformer transformer, LayerSource layers) implements Key {
        @Override
        public List<float[][]> forward(List<SharedForward.Request> requests) {
            List<LlamaTransformer.Part> parts = new ArrayList<>(requests.size());
            for (SharedForward.Request r : requests) {
                parts.add(new LlamaTransformer.Part(r.model().cache(), r.tokens(), r.parents(), r.logitsFrom()));
            }
            return transformer.forward(parts, layers);
        }
    }

    /** This model's key, or null when its backend runs forwards one sequence at a time. */
    default Key passKey() { return null; }

    /** This sequence's cache (models with a {@link CpuKey} only). */
    default KvCache cache() {
        throw new UnsupportedOperationException("this model does not join shared passes");
    }

    /**
     * The rows a forward of a step's {@code tokens} appends to this model's cache ({@code parents} name the
     * step's nodes, -1 for the step's root): the prompt chain waiting to be fed, if any, then the step's rows.
     */
    SharedForward.Request request(int[] tokens, int[] parents);

    /** Feeds {@code chain} (tokens after the committed rows) in the next forward, ahead of its rows; empty: nothing. */
    void feedAhead(int[] chain);

    /** Commits the chain fed ahead (if any), then the pending rows {@code path} (the step's node ids), dropping the rest. */
    void keep(int[] path);

    /** Runs one of this model's requests alone: appends its rows and returns the logits of the step's rows. */
    float[][] forward(SharedForward.Request request);

    /** Takes note that a shared pass ran {@code request}: the logits of its step rows and the pass's wall time. */
    void recordShared(SharedForward.Request request, float[][] logits, long nanos);
}
