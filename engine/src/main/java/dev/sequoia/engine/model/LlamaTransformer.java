package dev.sequoia.engine.model;

import dev.sequoia.engine.kernel.MatMul;
import dev.sequoia.engine.kernel.TreeAttention;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.kernel.VectorSilu;
import dev.sequoia.engine.kernel.VectorTreeAttention;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.List;

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
        return forward(List.of(new Part(cache, tokens, parents)), layers).getFirst();
    }

    /**
     * One sequence's share of a shared forward: its cache and the batch appended to the cache's pending rows
     * (token i names its parent, a pending row of this cache or -1 for its last committed token). Logits are
     * computed for the tokens from {@code logitsFrom} on only: the tokens before it are a prompt chain fed in
     * the same pass, whose next-token logits nobody reads (skipping them skips their share of the classifier).
     */
    public record Part(KvCache cache, int[] tokens, int[] parents, int logitsFrom) {
        public Part {
            if (logitsFrom < 0 || logitsFrom > tokens.length) {
                throw new IllegalArgumentException("logitsFrom " + logitsFrom + " is outside [0, " + tokens.length + "]");
            }
        }

        /** A part whose every token gets its logits. */
        public Part(KvCache cache, int[] tokens, int[] parents) {
            this(cache, tokens, parents, 0);
        }

        int logitRows() { return tokens.length - logitsFrom; }
    }

    /**
     * One forward pass over several sequences at once, each with its own cache: the projections and the
     * classifier run over all parts' tokens as one batch (each weight read once for all of them), attention
     * runs per part against that part's cache, at that cache's positions. A token's logits are those
     * {@link #forward(KvCache, int[], int[], LayerSource)} gives for its part alone, up to the GEMM's summation
     * order (the fp32 kernels' register tiles group tokens by 4, so sums may round a few ulps differently in
     * a bigger batch; the int8-activation kernels give the same bits in any batch). Returns logits per part,
     * in order (for a part's tokens from its {@link Part#logitsFrom} on). On an exception every cache is left as it
     * was before the call.
     */
    public List<float[][]> forward(List<Part> parts, LayerSource layers) {
        if (parts.isEmpty()) throw new IllegalArgumentException("a shared forward needs at least one part");
        java.util.Set<KvCache> caches = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Part p : parts) {
            validate(p.tokens(), p.parents());
            if (!caches.add(p.cache())) throw new IllegalArgumentException("two parts of one forward share a cache");
        }
        int[] first = new int[parts.size()];
        int appended = 0;
        boolean done = false;
        try {
            for (; appended < parts.size(); appended++) {
                Part p = parts.get(appended);
                first[appended] = p.cache().appendPending(p.parents());
            }
            layers.beginPass();
            try {
                List<float[][]> logits = run(parts, first, layers);
                done = true;
                return logits;
            } finally {
                layers.endPass();
            }
        } finally {
            if (!done) {
                for (int i = 0; i < appended; i++) parts.get(i).cache().truncatePending(first[i]);
            }
        }
    }

    private void validate(int[] tokens, int[] parents) {
        if (tokens.length != parents.length || tokens.length == 0) {
            throw new IllegalArgumentException("a batch needs one parent per token and at least one token, got "
                    + tokens.length + " tokens and " + parents.length + " parents");
        }
        for (int t : tokens) {
            if (t < 0 || t >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    private List<float[][]> run(List<Part> parts, int[] first, LayerSource layers) {
        int n = 0;
        for (Part p : parts) n += p.tokens().length;
        Scratch s = new Scratch(config, n);
        int t0 = 0;
        for (Part p : parts) {
            for (int token : p.tokens()) matMul.dequantizeRow(weights.tokenEmbedding(), token, s.x, t0++ * config.dim());
        }
        Rope.Angles angles = rope.angles(positions(parts, first, n));
        for (int l = 0; l < config.layers(); l++) {
            LayerWeights w = layers.acquire(l);
            try {
                attentionBlock(w, l, parts, first, n, angles, s);
                feedForwardBlock(w, n, s);
            } finally {
                layers.release(l);
            }
        }
        int rows = keepLogitRows(parts, s.x);
        rmsNorm(s.x, weights.finalNorm(), s.xb, rows);
        float[] logits = new float[rows * config.vocabSize()];
        if (rows > 0) matMul.gemm(weights.classifier(), s.xb, logits, rows); // W (vocab,dim) @ xb (rows,dim)
        if (parts.size() == 1 && rows == 1) return List.<float[][]>of(new float[][] {logits}); // decode: no copy of the row
        List<float[][]> out = new ArrayList<>(parts.size());
        int offset = 0;
        for (Part p : parts) {
            out.add(splitRows(logits, offset, p.logitRows(), config.vocabSize()));
            offset += p.logitRows();
        }
        return out;
    }

    /** Every token's position, in batch order (part by part). */
    private static int[] positions(List<Part> parts, int[] first, int n) {
        int[] pos = new int[n];
        int t0 = 0;
        for (int i = 0; i < parts.size(); i++) {
            KvCache cache = parts.get(i).cache();
            for (int t = 0; t < parts.get(i).tokens().length; t++) pos[t0++] = cache.pendingPosition(first[i] + t);
        }
        return pos;
    }

    /**
     * Moves the hidden states of the tokens that get logits to the front of {@code x}, in order, and returns
     * how many they are (every token unless a part feeds a prompt chain ahead of its rows).
     */
    private int keepLogitRows(List<Part> parts, float[] x) {
        int dim = config.dim(), from = 0, to = 0;
        for (Part p : parts) {
            from += p.logitsFrom();
            int m = p.logitRows();
            if (from != to) System.arraycopy(x, from * dim, x, to * dim, m * dim); // to < from: a forward move
            from += m;
            to += m;
        }
        return to;
    }

    /**
     * x += wo · attention(rope(wq·xb), rope(wk·xb), wv·xb), with xb = rmsnorm(x): the projections over every
     * part's tokens at once, RoPE, the KV writes and attention per part, in its own cache.
     */
    private void attentionBlock(LayerWeights w, int layer, List<Part> parts, int[] first, int n, Rope.Angles angles,
                                Scratch s) {
        int dim = config.dim(), kvDim = config.kvDim();
        rmsNorm(s.x, w.attnNorm(), s.xb, n);
        // q (dim,dim), k and v (kvDim,dim) @ xb (n,dim): one call, so the kernels may share the work on xb
        matMul.gemmAll(new WeightMatrix[] {w.wq(), w.wk(), w.wv()}, s.xb, new float[][] {s.q, s.k, s.v}, n);
        int offset = 0;
        for (int i = 0; i < parts.size(); i++) {
            KvCache cache = parts.get(i).cache();
            int m = parts.get(i).tokens().length;
            float[] keys = cache.keys(layer), values = cache.values(layer);
            for (int t = 0; t < m; t++) {
                rope.rotate(s.q, (offset + t) * dim, config.heads(), angles, offset + t);
                rope.rotate(s.k, (offset + t) * kvDim, config.kvHeads(), angles, offset + t);
                int row = cache.pendingRow(first[i] + t);
                System.arraycopy(s.k, (offset + t) * kvDim, keys, row * kvDim, kvDim);
                System.arraycopy(s.v, (offset + t) * kvDim, values, row * kvDim, kvDim);
            }
            if (parts.size() == 1) {
                attention.attend(s.q, cache, layer, first[i], m, s.att);
            } else { // the kernel reads queries from 0 and writes from 0: hand it this part's slice
                float[] q = java.util.Arrays.copyOfRange(s.q, offset * dim, (offset + m) * dim);
                float[] att = new float[m * dim];
                attention.attend(q, cache, layer, first[i], m, att);
                System.arraycopy(att, 0, s.att, offset * dim, m * dim);
            }
            offset += m;
        }
        matMul.gemm(w.wo(), s.att, s.xb, n); // (dim,dim) @ (n,dim) -> (n,dim)
        add(s.x, s.xb, n * dim);
    }

    /** x += w2 · (silu(w1·xb) * (w3·xb)), with xb = rmsnorm(x). */
    private void feedForwardBlock(LayerWeights w, int n, Scratch s) {
        rmsNorm(s.x, w.ffnNorm(), s.xb, n);
        // gate = w1 · xb, up = w3 · xb: (hidden,dim) @ (n,dim) -> (n,hidden), in one call
        matMul.gemmAll(new WeightMatrix[] {w.w1(), w.w3()}, s.xb, new float[][] {s.gate, s.up}, n);
        VectorSilu.siluMul(s.gate, s.up, n * config.hiddenDim());
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

    private static float[][] splitRows(float[] flat, int firstRow, int n, int width) {
        float[][] rows = new float[n][width];
        for (int t = 0; t < n; t++) System.arraycopy(flat, (firstRow + t) * width, rows[t], 0, width);
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
