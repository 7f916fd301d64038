package dev.sequoia.engine.api;

import dev.sequoia.engine.backend.cuda.BackendChoice;
import dev.sequoia.engine.backend.offload.OffloadSettings;

import java.util.Arrays;
import java.util.List;

/**
 * Everything needed to open an {@link Engine}; built at the edge (CLI, server, a program) with {@link #builder}
 * and passed down. The builder is the only way to make one, and {@link Builder#build()} is the one place its
 * parameters are defaulted and checked, so the CLI, the server, a {@code --config} file and a program get the
 * same rules and the same one-line errors.
 *
 * <p>The parameters, by concern:
 * <ul>
 *   <li>models: {@code target}, the model whose distribution the output follows; {@code draft}, the small
 *       model that proposes speculation trees, or null for plain decoding</li>
 *   <li>tree: {@code tree}, the policy ("none", "chain:N", "KxL" e.g. "4x8", "auto", or a growmap JSON file;
 *       default "auto" with a draft, else "none"); {@code budget}, the tree size (nodes, root included) for
 *       "auto" Sequoia trees, 0 lets the optimizer choose; {@code depth}, the most tree levels (root included)
 *       for "auto", 0 lets the optimizer choose</li>
 *   <li>runtime: {@code threads}, CPU compute threads (default: all cores); {@code prefixCacheBytes}, the byte
 *       budget of the prompt-prefix KV cache, 0 disables it (default 64 MiB); {@code contextLength}, most
 *       tokens per session, 0 uses the target's context length</li>
 *   <li>offload: the target's memory budget and residency plan overrides ({@link OffloadSettings#NONE}: all
 *       resident); the draft always stays resident</li>
 *   <li>backend: {@code backend}, which backend runs the models: CPU (default), CUDA, or AUTO (CUDA when
 *       usable; see {@link Engine} for what the CUDA backend does not support); {@code int8Activations}, opt-in:
 *       Q8_0, Q4_0 and K-quant projections multiply int8-quantized activations (VNNI, as llama.cpp does): faster tree
 *       verification, logits within quantization error of the fp32 path</li>
 * </ul>
 */
public final class EngineConfig {
    /** The prompt-prefix KV cache's byte budget unless one is given. */
    public static final long DEFAULT_PREFIX_CACHE_BYTES = 64L << 20;

    private final ModelSpec target;
    private final ModelSpec draft;
    private final String tree;
    private final int budget;
    private final int depth;
    private final int threads;
    private final long prefixCacheBytes;
    private final int contextLength;
    private final OffloadSettings offload;
    private final boolean int8Activations;
    private final BackendChoice backend;

    private EngineConfig(Builder b, String tree) {
        this.target = b.target;
        this.draft = b.draft;
        this.tree = tree;
        this.budget = b.budget;
        this.depth = b.depth;
        this.threads = b.threads;
        this.prefixCacheBytes = b.prefixCacheBytes;
        this.contextLength = b.contextLength;
        this.offload = b.offload == null ? OffloadSettings.NONE : b.offload;
        this.int8Activations = b.int8Activations;
        this.backend = b.backend == null ? BackendChoice.CPU : b.backend;
    }

    /** A builder for plain decoding of {@code target} with the defaults above. */
    public static Builder builder(ModelSpec target) {
        return new Builder().target(target);
    }

    /** A builder holding this configuration's parameters, to change some of them. */
    public Builder toBuilder() {
        return new Builder().target(target).draft(draft).tree(tree).budget(budget).depth(depth).threads(threads)
                .prefixCacheBytes(prefixCacheBytes).contextLength(contextLength).offload(offload)
                .int8Activations(int8Activations).backend(backend);
    }

    public ModelSpec target() { return target; }

    public ModelSpec draft() { return draft; }

    public String tree() { return tree; }

    public int budget() { return budget; }

    public int depth() { return depth; }

    public int threads() { return threads; }

    public long prefixCacheBytes() { return prefixCacheBytes; }

    public int contextLength() { return contextLength; }

    public OffloadSettings offload() { return offload; }

    public boolean int8Activations() { return int8Activations; }

    public BackendChoice backend() { return backend; }

    public static int defaultThreads() { return Math.max(1, Runtime.getRuntime().availableProcessors()); }

    private List<Object> values() {
        return Arrays.asList(target, draft, tree, budget, depth, threads, prefixCacheBytes, contextLength, offload,
                int8Activations, backend);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EngineConfig c && values().equals(c.values());
    }

    @Override
    public int hashCode() { return values().hashCode(); }

    @Override
    public String toString() {
        return "EngineConfig[target=" + target + ", draft=" + draft + ", tree=" + tree + ", budget=" + budget
                + ", depth=" + depth + ", threads=" + threads + ", prefixCacheBytes=" + prefixCacheBytes
                + ", contextLength=" + contextLength + ", offload=" + offload + ", int8Activations=" + int8Activations
                + ", backend=" + backend + "]";
    }

    /**
     * Collects the parameters; {@link #build()} checks them all. Each error is one line naming the parameter
     * (and its CLI flag) and what was expected.
     */
    public static final class Builder {
        private ModelSpec target;
        private ModelSpec draft;
        private String tree;
        private int budget;
        private int depth;
        private int threads = defaultThreads();
        private long prefixCacheBytes = DEFAULT_PREFIX_CACHE_BYTES;
        private int contextLength;
        private OffloadSettings offload = OffloadSettings.NONE;
        private boolean int8Activations;
        private BackendChoice backend = BackendChoice.CPU;

        private Builder() {}

        public Builder target(ModelSpec model) { this.target = model; return this; }

        /** The draft model, or null for plain decoding. */
        public Builder draft(ModelSpec model) { this.draft = model; return this; }

        /** The tree policy; null or blank: "auto" with a draft, else "none". */
        public Builder tree(String policy) { this.tree = policy; return this; }

        public Builder budget(int nodes) { this.budget = nodes; return this; }

        public Builder depth(int levels) { this.depth = levels; return this; }

        public Builder threads(int n) { this.threads = n; return this; }

        public Builder prefixCacheBytes(long bytes) { this.prefixCacheBytes = bytes; return this; }

        public Builder contextLength(int tokens) { this.contextLength = tokens; return this; }

        /** The target streams within {@code settings}' memory budget (null or budget 0: all resident). */
        public Builder offload(OffloadSettings settings) { this.offload = settings; return this; }

        public Builder int8Activations(boolean on) { this.int8Activations = on; return this; }

        /** Runs the models on {@code choice} (null: CPU; AUTO is resolved when the engine opens). */
        public Builder backend(BackendChoice choice) { this.backend = choice; return this; }

        /** The configuration, or an {@link IllegalArgumentException} naming the first bad parameter. */
        public EngineConfig build() {
            if (target == null) throw new IllegalArgumentException("target (--model): a target model is required");
            String policy = tree == null || tree.isBlank() ? (draft == null ? "none" : "auto") : tree;
            atLeast("budget (--budget)", budget, 0, " (0: the optimizer's choice)");
            atLeast("depth (--depth)", depth, 0, " (0: the optimizer's choice)");
            atLeast("threads (--threads)", threads, 1, "");
            atLeast("prefixCacheBytes", prefixCacheBytes, 0, " (0 disables the prompt-prefix cache)");
            atLeast("contextLength (--context)", contextLength, 0, " (0: the model's context length)");
            if (draft == null && !policy.equals("none")) {
                throw new IllegalArgumentException("tree (--tree) '" + policy + "' needs a draft model (--draft),"
                        + " expected 'none' without one");
            }
            return new EngineConfig(this, policy);
        }

        private static void atLeast(String name, long value, long min, String note) {
            if (value < min) throw new IllegalArgumentException(name + " must be >= " + min + note + ", got " + value);
        }
    }
}
