package dev.sequoia.engine.api;

import dev.sequoia.engine.backend.cuda.BackendChoice;
import dev.sequoia.engine.backend.offload.OffloadSettings;

/**
 * Everything needed to open an {@link Engine}; built at the edge (CLI, server, a program) and passed down.
 *
 * @param target           the model whose distribution the output follows
 * @param draft            the small model that proposes speculation trees, or null for plain decoding
 * @param tree             tree policy: "none", "chain:N", "KxL" (e.g. "4x8"), "auto", or a growmap JSON file
 * @param budget           tree size (nodes, root included) for "auto" Sequoia trees; 0 lets the optimizer choose
 * @param depth            most tree levels (root included) for "auto"; 0 lets the optimizer choose
 * @param threads          CPU compute threads
 * @param prefixCacheBytes byte budget of the prompt-prefix KV cache; 0 disables it
 * @param contextLength    most tokens per session; 0 uses the target's context length
 * @param offload          the target's memory budget and residency plan overrides ({@link OffloadSettings#NONE}:
 *                         all resident); the draft always stays resident
 * @param int8Activations  opt-in: Q8_0 and K-quant projections multiply int8-quantized activations (VNNI, as llama.cpp
 *                         does): faster tree verification, logits within quantization error of the fp32 path
 * @param backend          which backend runs the models: CPU (default), CUDA, or AUTO (CUDA when usable); see
 *                         {@link Engine} for what the CUDA backend does not support
 */
public record EngineConfig(ModelSpec target, ModelSpec draft, String tree, int budget, int depth, int threads,
                           long prefixCacheBytes, int contextLength, OffloadSettings offload, boolean int8Activations,
                           BackendChoice backend) {
    /** A configuration on the CPU backend. */
    public EngineConfig(ModelSpec target, ModelSpec draft, String tree, int budget, int depth, int threads,
                        long prefixCacheBytes, int contextLength, OffloadSettings offload, boolean int8Activations) {
        this(target, draft, tree, budget, depth, threads, prefixCacheBytes, contextLength, offload, int8Activations,
                BackendChoice.CPU);
    }

    /** A configuration with fp32 activations. */
    public EngineConfig(ModelSpec target, ModelSpec draft, String tree, int budget, int depth, int threads,
                        long prefixCacheBytes, int contextLength, OffloadSettings offload) {
        this(target, draft, tree, budget, depth, threads, prefixCacheBytes, contextLength, offload, false);
    }

    /** A configuration with the whole target resident. */
    public EngineConfig(ModelSpec target, ModelSpec draft, String tree, int budget, int depth, int threads,
                        long prefixCacheBytes, int contextLength) {
        this(target, draft, tree, budget, depth, threads, prefixCacheBytes, contextLength, OffloadSettings.NONE);
    }

    public EngineConfig {
        if (offload == null) offload = OffloadSettings.NONE;
        if (backend == null) backend = BackendChoice.CPU;
        if (target == null) throw new IllegalArgumentException("a target model is required");
        if (tree == null || tree.isBlank()) tree = draft == null ? "none" : "auto";
        if (budget < 0) throw new IllegalArgumentException("budget must be >= 0, got " + budget);
        if (depth < 0) throw new IllegalArgumentException("depth must be >= 0, got " + depth);
        if (threads <= 0) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (prefixCacheBytes < 0) throw new IllegalArgumentException("prefix cache budget must be >= 0");
        if (contextLength < 0) throw new IllegalArgumentException("context length must be >= 0, got " + contextLength);
        if (draft == null && !tree.equals("none")) {
            throw new IllegalArgumentException("tree policy '" + tree + "' needs a draft model (--draft)");
        }
    }

    /** Plain decoding of one model with default settings. */
    public static EngineConfig of(ModelSpec target) {
        return new EngineConfig(target, null, "none", 0, 0, defaultThreads(), 64L << 20, 0);
    }

    public EngineConfig withDraft(ModelSpec draftModel, String treePolicy) {
        return new EngineConfig(target, draftModel, treePolicy, budget, depth, threads, prefixCacheBytes, contextLength, offload, int8Activations, backend);
    }

    public EngineConfig withTree(String treePolicy, int treeBudget, int treeDepth) {
        return new EngineConfig(target, draft, treePolicy, treeBudget, treeDepth, threads, prefixCacheBytes, contextLength, offload, int8Activations, backend);
    }

    public EngineConfig withThreads(int n) {
        return new EngineConfig(target, draft, tree, budget, depth, n, prefixCacheBytes, contextLength, offload, int8Activations, backend);
    }

    public EngineConfig withPrefixCacheBytes(long bytes) {
        return new EngineConfig(target, draft, tree, budget, depth, threads, bytes, contextLength, offload, int8Activations, backend);
    }

    public EngineConfig withContextLength(int tokens) {
        return new EngineConfig(target, draft, tree, budget, depth, threads, prefixCacheBytes, tokens, offload, int8Activations, backend);
    }

    /** The target streams within {@code settings}' memory budget (budget 0: all resident). */
    public EngineConfig withOffload(OffloadSettings settings) {
        return new EngineConfig(target, draft, tree, budget, depth, threads, prefixCacheBytes, contextLength, settings, int8Activations, backend);
    }

    public EngineConfig withInt8Activations(boolean on) {
        return new EngineConfig(target, draft, tree, budget, depth, threads, prefixCacheBytes, contextLength, offload, on, backend);
    }

    /** Runs the models on {@code choice} (AUTO is resolved when the engine opens). */
    public EngineConfig withBackend(BackendChoice choice) {
        return new EngineConfig(target, draft, tree, budget, depth, threads, prefixCacheBytes, contextLength, offload,
                int8Activations, choice);
    }

    public static int defaultThreads() { return Math.max(1, Runtime.getRuntime().availableProcessors()); }
}
