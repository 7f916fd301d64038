package dev.sequoia.engine.model;

import dev.sequoia.engine.kernel.MatMul;
import dev.sequoia.engine.kernel.TreeAttention;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.kernel.VectorTreeAttention;
import dev.sequoia.engine.kv.KvCache;

/**
 * The Llama-family forward pass on the CPU, over a batch of tokens that may form a tree.
 *
 * <p>One {@link #forward} appends a batch to a cache's pending rows: token i names its parent (a pending row,
 * or -1 for the last committed token). A chain is a prompt, one token is decoding, a tree is a speculation
 * tree. Every token attends to the committed prefix, its ancestors and itself, at position
 * {@code committed + depth}; the result is one logits row per token.
 *
 * <p>Threading: a transformer is immutable and may be shared; a forward uses only its arguments and its
 * own scratch, so concurrent forwards on different caches are safe (the engine runs one at a time).
 */
public final class LlamaTransformer {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final MatMul matMul;
    private final TreeAttention attention;
    private final Rope rope;

    public LlamaTransformer(Model model, MatMul matMul) {
        this(model.config(), model.weights(), matMul,
                new TreeAttention(model.config().heads(), model.config().kvHeads(), model.config().headDim()));
    }

    /**
     * The fast CPU transformer: {@code kernels}' GEMMs and {@link VectorTreeAttention} on the same thread pool.
     * Weights must live in memory that the pool's threads may read (a shared or global arena).
     */
    public static LlamaTransformer cpu(Model model, VectorMatMul kernels) {
        return cpu(model, kernels, kernels);
    }

    /** As {@link #cpu(Model, VectorMatMul)} with the projections on {@code gemm} (e.g. the int8 path). */
    public static LlamaTransformer cpu(Model model, VectorMatMul kernels, MatMul gemm) {
        LlamaConfig c = model.config();
        return new LlamaTransformer(c, model.weights(), gemm,
                new VectorTreeAttention(c.heads(), c.kvHeads(), c.headDim(), kernels.pool()));
    }

    public LlamaTransformer(LlamaConfig config, LlamaWeights weights, MatMul matMul, TreeAttention attention) {
        this.config = config;
        this.weights = weights;
        this.matMul = matMul;
        this.attention = attention;
        this.rope = new Rope(config);
    }

    public LlamaConfig config() { return config; }
    public LlamaWeights weights() { return weights; }

    /** A cache for one sequence of at most {@code capacity} rows (committed plus pending). */
    public KvCache newCache(int capacity) {
        return new KvCache(config.layers(), config.kvDim(), Math.min(capacity, config.contextLength()));
    }

    /** {@link #forward(KvCache, int[], int[], LayerSource)} with the model's own, resident layers. */
    public float[][] forward(KvCache cache, int[] tokens, int[] parents) {
        return forward(cache, tokens, parents, LayerSource.resident(weights));
    }

    /**
     * Appends the batch to the cache's pending rows and returns logits (n, vocab). On an exception the
     * cache is left as it was before the call.
     */
    public float[][] forward(KvCache cache, int[] tokens, int[] parents, LayerSource layers) {
        if (tokens.length != parents.length || tokens.length == 0) {
            throw new IllegalArgumentException("a batch needs one parent per token and at least one token, got "
                    + tokens.length + " tokens and " + parents.length + " parents");
        }
        for (int t : tokens) {
            if (t < 0 || t >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        int first = cache.appendPending(parents);
        boolean done = false;
        layers.beginPass();
        try {
            float[][] logits = run(cache, tokens, first, layers);
            done = true;
            return logits;
        } finally {
            layers.endPass();
            if (!done) cache.truncatePending(first);
        }
    }

    private float[][] run(KvCache cache, int[] tokens, int first, LayerSource layers) {
        int n = tokens.length;
        Scratch s = new Scratch(config, n);
        for (int t = 0; t < n; t++) matMul.dequantizeRow(weights.tokenEmbedding(), tokens[t], s.x, t * config.dim());
        for (int l = 0; l < config.layers(); l++) {
            LayerWeights w = layers.acquire(l);
            try {
                attentionBlock(w, l, cache, first, n, s);
                feedForwardBlock(w, n, s);
            } finally {
                layers.release(l);
            }
        }
        rmsNorm(s.x, weights.finalNorm(), s.xb, n);
        float[] logits = new float[n * config.vocabSize()];
        matMul.gemm(weights.classifier(), s.xb, logits, n); // W (vocab,dim) @ xb (n,dim) -> (n,vocab)
        return splitRows(logits, n, config.vocabSize());
    }

    /** x += wo · attention(rope(wq·xb), rope(wk·xb), wv·xb), with xb = rmsnorm(x). */
    private void attentionBlock(LayerWeights w, int layer, KvCache cache, int first, int n, Scratch s) {
        int dim = config.dim(), kvDim = config.kvDim();
        rmsNorm(s.x, w.attnNorm(), s.xb, n);
        matMul.gemm(w.wq(), s.xb, s.q, n); // (dim,dim) @ (n,dim) -> (n,dim)
        matMul.gemm(w.wk(), s.xb, s.k, n); // (kvDim,dim) @ (n,dim) -> (n,kvDim)
        matMul.gemm(w.wv(), s.xb, s.v, n);
        float[] keys = cache.keys(layer), values = cache.values(layer);
        for (int t = 0; t < n; t++) {
            int pos = cache.pendingPosition(first + t);
            rope.rotate(s.q, t * dim, config.heads(), pos);
            rope.rotate(s.k, t * kvDim, config.kvHeads(), pos);
            int row = cache.pendingRow(first + t);
            System.arraycopy(s.k, t * kvDim, keys, row * kvDim, kvDim);
            System.arraycopy(s.v, t * kvDim, values, row * kvDim, kvDim);
        }
        attention.attend(s.q, cache, layer, first, n, s.att);
        matMul.gemm(w.wo(), s.att, s.xb, n); // (dim,dim) @ (n,dim) -> (n,dim)
        add(s.x, s.xb, n * dim);
    }

    /** x += w2 · (silu(w1·xb) * (w3·xb)), with xb = rmsnorm(x). */
    private void feedForwardBlock(LayerWeights w, int n, Scratch s) {
        rmsNorm(s.x, w.ffnNorm(), s.xb, n);
        matMul.gemm(w.w1(), s.xb, s.gate, n); // (hidden,dim) @ (n,dim) -> (n,hidden)
        matMul.gemm(w.w3(), s.xb, s.up, n);
        for (int i = 0; i < n * config.hiddenDim(); i++) {
            float g = s.gate[i];
            s.gate[i] = g / (1f + (float) Math.exp(-g)) * s.up[i];
        }
        matMul.gemm(w.w2(), s.gate, s.xb, n); // (dim,hidden) @ (n,hidden) -> (n,dim)
        add(s.x, s.xb, n * config.dim());
    }

    /** out[t] = weight * x[t] / sqrt(mean(x[t]^2) + eps), for each of n rows of dim. */
    private void rmsNorm(float[] x, float[] weight, float[] out, int n) {
        int dim = config.dim();
        for (int t = 0; t < n; t++) {
            int off = t * dim;
            float ss = 0f;
            for (int i = 0; i < dim; i++) ss += x[off + i] * x[off + i];
            float inv = (float) (1.0 / Math.sqrt(ss / dim + config.rmsEps()));
            for (int i = 0; i < dim; i++) out[off + i] = weight[i] * (inv * x[off + i]);
        }
    }

    private static void add(float[] acc, float[] delta, int len) {
        for (int i = 0; i < len; i++) acc[i] += delta[i];
    }

    private static float[][] splitRows(float[] flat, int n, int width) {
        float[][] rows = new float[n][width];
        for (int t = 0; t < n; t++) System.arraycopy(flat, t * width, rows[t], 0, width);
        return rows;
    }

    /** Activations of one forward, sized for its batch. */
    private static final class Scratch {
        final float[] x, xb, q, k, v, att, gate, up;

        Scratch(LlamaConfig c, int n) {
            x = new float[n * c.dim()];
            xb = new float[n * c.dim()];
            q = new float[n * c.dim()];
            k = new float[n * c.kvDim()];
            v = new float[n * c.kvDim()];
            att = new float[n * c.dim()];
            gate = new float[n * c.hiddenDim()];
            up = new float[n * c.hiddenDim()];
        }
    }
}
