package dev.sequoia.engine.api;

import dev.sequoia.engine.backend.cuda.BackendChoice;
import dev.sequoia.engine.backend.cuda.CudaModels;
import dev.sequoia.engine.backend.offload.StreamedLayerSource;
import dev.sequoia.engine.backend.offload.TargetOffload;
import dev.sequoia.engine.chat.ChatMessage;
import dev.sequoia.engine.chat.ChatTemplate;
import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.kernel.Int8ActivationMatMul;
import dev.sequoia.engine.kernel.MatMul;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.model.LayerSource;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.session.AutoregressiveDecoder;
import dev.sequoia.engine.session.PrefixCache;
import dev.sequoia.engine.session.StepDecoder;
import dev.sequoia.engine.speculative.AutoTree;
import dev.sequoia.engine.speculative.PairProfiles;
import dev.sequoia.engine.speculative.SpeculativeStepDecoder;
import dev.sequoia.engine.speculative.TreeProvider;
import dev.sequoia.engine.speculative.TreeSpec;
import dev.sequoia.engine.tokenizer.Tokenizer;
import dev.sequoia.offload.device.StreamPlan;
import dev.sequoia.offload.plan.ResidencyPlan;
import dev.sequoia.offload.telemetry.PassTelemetry;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The sessions API's entry point: loads the target (and draft) once, owns the compute kernels and the one
 * engine thread, and opens sessions.
 *
 * <pre>{@code
 * try (Engine engine = Engine.open(EngineConfig.builder(ModelSpec.of(path)).build());
 *      Session session = engine.openSession()) {
 *     GenerationResult r = session.generate(GenerateRequest.greedy("Once upon a time", 64));
 *     System.out.println(r.text());
 * }
 * }</pre>
 *
 * <p>With a memory budget ({@link EngineConfig#offload()}) the target's layers follow a residency plan: the
 * engine owns a {@link StreamedLayerSource} that every target forward (prefill, decoding steps, speculative
 * verification) goes through; the draft stays resident.
 *
 * <p>Backend ({@link EngineConfig#backend()}, AUTO resolved when the engine opens): on CUDA the engine owns one
 * {@link CudaModels} (the device context and both models' weights; with a memory budget, the budget bounds the
 * target's layer images on the device and the layers that do not fit stream from pinned host memory, and one
 * {@link dev.sequoia.engine.backend.cuda.CudaTransformer} per model that every session's forwards share, so a
 * shared pass runs them as one); each session's decoder owns its device KV caches. Every
 * CUDA call runs on the engine thread: the context is opened there, decoders are built and closed there, and
 * the models are freed there before the thread stops. The CUDA backend rejects when the engine opens what it
 * does not support: {@code --int8} (a CPU kernel), {@code --tree auto} (its profiler measures CPU transformers)
 * and the CPU residency plan's overrides; it skips the prompt-prefix cache (its KV rows live on the device).
 *
 * <p>Ownership: the engine's arena owns the mapped model files and is closed last; the streamed source (its
 * slots, resident copies and file) is closed before it; sessions' caches are freed when each session closes;
 * the CUDA models are closed after the sessions and before the engine thread stops.
 */
public final class Engine implements AutoCloseable {
    private final EngineConfig config;
    private final Arena arena;
    private final Model target;
    private final Model draft;
    private final VectorMatMul kernels;
    private final LlamaTransformer targetModel;
    private final LlamaTransformer draftModel;
    private final StreamedLayerSource streamed;
    private final LayerSource targetLayers;
    private final BackendChoice backend;
    private final CudaModels cuda;
    private final List<String> offloadNotes = new ArrayList<>();
    private final int[] stopTokens;
    private final TreeProvider trees;
    private final EngineLoop loop;
    private final Set<SessionState> open = ConcurrentHashMap.newKeySet();
    private volatile ChatTemplate chatTemplate;

    private Engine(EngineConfig config, BackendChoice backend, Arena arena, Model target, Model draft,
                   TreeProvider givenTrees) {
        this.config = config;
        this.backend = backend;
        this.arena = arena;
        this.target = target;
        this.draft = draft;
        this.kernels = new VectorMatMul(config.threads());
        // the int8 path borrows the kernels' pool; closing the kernels closes everything
        MatMul gemm = config.int8Activations() ? new Int8ActivationMatMul(kernels, true) : kernels;
        String slowInt8 = gemm instanceof Int8ActivationMatMul int8 ? int8.fallbackWarning() : null;
        if (slowInt8 != null) offloadNotes.add(slowInt8);
        this.targetModel = LlamaTransformer.cpu(target, kernels, gemm);
        this.draftModel = draft == null ? null : LlamaTransformer.cpu(draft, kernels, gemm);
        try {
            this.streamed = backend == BackendChoice.CPU && config.offload().enabled() ? openStreamed() : null;
        } catch (RuntimeException e) {
            kernels.close();
            throw e;
        }
        this.targetLayers = streamed != null ? streamed : LayerSource.resident(target.weights());
        this.stopTokens = stopTokens(target);
        this.trees = draftModel == null || config.tree().equals("none") ? null
                : givenTrees != null ? givenTrees : treeProvider();
        this.loop = new EngineLoop(1024, new PrefixCache(config.prefixCacheBytes(), 1));
        loop.passRunner(new SharedPassRunner(trees)); // one target pass verifies every active session's step
        loop.start("sequoia-engine");
        this.cuda = backend == BackendChoice.CUDA ? openCuda() : null;
    }

    /** Opens the device context and uploads the models on the engine thread (the context is current there). */
    private CudaModels openCuda() {
        try {
            return onEngineThread(() -> {
                CudaModels models = CudaModels.open(target, draft, config.offload().budgetBytes());
                try {
                    offloadNotes.add(models.describe());
                    return models;
                } catch (RuntimeException e) {
                    models.close();
                    throw e;
                }
            });
        } catch (RuntimeException e) {
            loop.shutdown();
            kernels.close();
            throw e;
        }
    }

    /** Loads the models and starts the engine thread. */
    public static Engine open(EngineConfig config) {
        return open(config, null);
    }

    /**
     * Like {@link #open(EngineConfig)}, with the speculation trees given by the caller instead of the
     * configuration's tree policy (which must then name a speculative policy, not "none").
     */
    public static Engine open(EngineConfig config, TreeProvider trees) {
        BackendChoice backend = resolveBackend(config);
        Arena arena = Arena.ofShared();
        try {
            Model target = ModelLoader.load(config.target().model(), config.target().tokenizer(), arena);
            if (target.tokenizer() == null) {
                throw new ModelFormatException(config.target().model(),
                        "the model file has no tokenizer; pass one (for llama2.c checkpoints: --tokenizer tokenizer.bin)");
            }
            Model draft = config.draft() == null ? null : loadDraft(config, target, arena);
            return new Engine(config, backend, arena, target, draft, trees);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * CPU or CUDA, before anything is loaded: {@code cuda} without a usable driver fails with the reason, and a
     * configuration using what the CUDA backend does not support fails naming it (for {@code cuda} even before
     * the driver is probed, for {@code auto} once it resolves to CUDA).
     */
    static BackendChoice resolveBackend(EngineConfig config) {
        if (config.backend() == BackendChoice.CUDA) requireCudaSupports(config);
        BackendChoice resolved = config.backend().resolve();
        if (config.backend() == BackendChoice.AUTO && resolved == BackendChoice.CUDA) {
            requireCudaSupports(config);
        }
        return resolved;
    }

    private static void requireCudaSupports(EngineConfig config) {
        String name = "--backend " + config.backend().name().toLowerCase(java.util.Locale.ROOT);
        if (config.int8Activations()) {
            throw new IllegalArgumentException(name + ": --int8 (int8 activations) runs on the CPU backend only;"
                    + " drop --int8 or use --backend cpu");
        }
        if (!config.offload().overrides().equals(dev.sequoia.offload.plan.PlanOverrides.NONE)) {
            throw new IllegalArgumentException(name + ": --resident-layers and --slots override the CPU residency plan;"
                    + " on CUDA, --memory-budget alone bounds the target's layers on the device ("
                    + CudaModels.SLOTS + " slots)");
        }
    }

    private static Model loadDraft(EngineConfig config, Model target, Arena arena) {
        ModelSpec spec = config.draft();
        Model draft = ModelLoader.load(spec.model(), spec.tokenizer(), arena);
        if (draft.config().vocabSize() != target.config().vocabSize()) {
            throw new ModelFormatException(spec.model(), "the draft's vocabulary has " + draft.config().vocabSize()
                    + " tokens, the target's " + target.config().vocabSize() + ": they must share one tokenizer");
        }
        return draft;
    }

    /** The target's residency plan and streamer, sized for one session's caches and the resident draft. */
    private StreamedLayerSource openStreamed() {
        long draftBytes = draft == null ? 0 : TargetOffload.residentBytes(draft, sessionCapacity());
        StreamedLayerSource source = TargetOffload.open(target, targetModel, config.offload(), draftBytes,
                sessionCapacity(), offloadNotes::add);
        offloadNotes.add(source.plan().describe());
        return source;
    }

    /**
     * Tokens that end a generation: every end-of-generation token the vocabulary declares (EOS, and end of
     * turn / message such as Llama 3's {@code <|eot_id|>} and {@code <|eom_id|>}), and for llama2.c
     * checkpoints BOS (run.c's story separator).
     */
    private static int[] stopTokens(Model model) {
        Tokenizer t = model.tokenizer();
        boolean llama2c = model.format().equals("llama2c");
        return java.util.stream.IntStream.concat(java.util.Arrays.stream(t.endOfGeneration()),
                java.util.stream.IntStream.of(llama2c ? t.bos() : -1)).filter(id -> id >= 0).distinct().toArray();
    }

    /** The tokens that end a generation in this engine's sessions. */
    public int[] stopTokens() { return stopTokens.clone(); }

    public EngineConfig config() { return config; }

    /** The backend the models run on: CPU or CUDA (AUTO resolved). */
    public BackendChoice backend() { return backend; }

    /** The target's residency plan on the CUDA device, or null on the CPU backend. */
    public StreamPlan cudaPlan() { return cuda == null ? null : cuda.targetPlan(); }

    /** On CUDA, the target forwards so far that ran several sessions' rows as one pass (0 on the CPU). */
    public long cudaSharedTargetForwards() { return cuda == null ? 0 : cuda.sharedTargetForwards(); }
    public Model target() { return target; }
    public Model draft() { return draft; }
    public Tokenizer tokenizer() { return target.tokenizer(); }
    public LlamaTransformer targetTransformer() { return targetModel; }
    public LlamaTransformer draftTransformer() { return draftModel; }

    /** Where target forwards take their layers: the streamed source, or the mapped weights. */
    public LayerSource targetLayers() { return targetLayers; }

    /** The target's residency plan, or null when it is wholly resident. */
    public ResidencyPlan offloadPlan() { return streamed == null ? null : streamed.plan(); }

    /**
     * What setting up offloading measured and chose (disk bandwidth, the plan), and a warning when --int8 cannot
     * use its VNNI kernels, to print; empty when resident and nothing is wrong.
     */
    public List<String> offloadReport() { return List.copyOf(offloadNotes); }

    /** Streaming telemetry of the target summed since the engine opened (NONE when resident). */
    public PassTelemetry streamingTotals() { return streamed == null ? PassTelemetry.NONE : streamed.totalTelemetry(); }

    /** The name t(n) profiles of this engine's hardware configuration are cached under. */
    public String profileConfiguration() {
        if (cuda != null) return cuda.profileConfiguration();
        String name = streamed == null ? "cpu-resident-threads" + config.threads()
                : TargetOffload.configurationName(config.threads(), streamed.plan());
        // int8 t(n) differs: its own cache entry. v2: the kernels of 2026-12 (int8 panels for every quantized
        // type, native fp32 Q4_0, matrix loops shared at once) cut t(n) by up to 3x, so that profiles measured on
        // the older kernels are not reused
        return name + (config.int8Activations() ? "-int8v2" : "-v2");
    }

    /** Opens a new, empty session. */
    public Session openSession() {
        // CUDA decoders allocate device memory: build them on the engine thread, where the context is current
        SessionState state = new SessionState(cuda == null ? newDecoder() : onEngineThread(this::newDecoder));
        open.add(state);
        return new Session(this, state);
    }

    private TreeProvider treeProvider() {
        if (!config.tree().equals("auto")) return TreeProvider.fixed(TreeSpec.parse(config.tree(), config.depth()));
        PairProfiles profiles = new PairProfiles(PairProfiles.defaultRoot(), target.source(), draft.source());
        if (backend == BackendChoice.CUDA) {
            // t(n) and the draft's level times measured on the GPU, cached per device, budget and device plan;
            // asked for on the engine thread (decoder creation, tree building), where the context is current.
            // The acceptance vector is the pair's, measured once on the CPU transformers and cached.
            return new AutoTree(targetModel, targetLayers, draftModel, tokenizer(), profiles,
                    () -> cuda.profileConfiguration(), config.budget(), config.depth(),
                    () -> cuda.profile(AutoTree.BUDGETS));
        }
        return new AutoTree(targetModel, targetLayers, draftModel, tokenizer(), profiles, profileConfiguration(),
                config.budget(), config.depth());
    }

    private int sessionCapacity() {
        int capacity = config.contextLength() > 0
                ? Math.min(config.contextLength(), target.config().contextLength())
                : target.config().contextLength();
        return capacity;
    }

    private StepDecoder newDecoder() {
        if (cuda != null) {
            return trees == null ? cuda.autoregressive(sessionCapacity())
                    : cuda.speculative(trees, Math.min(sessionCapacity(), draft.config().contextLength()));
        }
        if (trees == null) return new AutoregressiveDecoder(targetModel, targetLayers, sessionCapacity());
        return new SpeculativeStepDecoder(targetModel, targetLayers, draftModel, trees,
                Math.min(sessionCapacity(), draft.config().contextLength()));
    }

    /** The tree policy of speculative sessions, or null for plain decoding. */
    public TreeProvider trees() { return trees; }

    /** Sessions open now. */
    public int openSessions() { return open.size(); }

    /** Bytes of KV cache held by open sessions. */
    public long kvBytes() {
        return open.stream().mapToLong(s -> s.decoder.kvBytes()).sum();
    }

    Generation startGeneration(SessionState state, GenerateRequest request, TokenListener listener) {
        return enqueue(state, request, listener, null);
    }

    /** Renders and tokenizes the conversation here, then continues the session from the common prefix. */
    Generation startChat(SessionState state, List<ChatMessage> messages, GenerateRequest settings, TokenListener listener) {
        if (state.closeRequested) throw new IllegalStateException("the session is closed");
        return enqueue(state, settings, listener, chatTemplate().encodeConversation(tokenizer(), messages, true));
    }

    /** Queues a turn behind the session's earlier ones ({@code conversation}: a chat turn's whole rendering, or null). */
    private Generation enqueue(SessionState state, GenerateRequest request, TokenListener listener, int[] conversation) {
        if (state.closeRequested) throw new IllegalStateException("the session is closed");
        Generation handle = new Generation();
        GenerationTask task = new GenerationTask(state, request, handle, listener, tokenizer(), stopTokens,
                this::streamingTotals, conversation);
        loop.submit(() -> loop.enqueue(task), handle::fail);
        return handle;
    }

    /** The target's chat template (the file's, else a built-in one for its vocabulary). */
    public ChatTemplate chatTemplate() {
        ChatTemplate t = chatTemplate;
        if (t == null) chatTemplate = t = ChatTemplate.forModel(target);
        return t;
    }

    /**
     * Closes a session: its generations stop at their next token (the running one completes as cancelled, the
     * waiting ones unstarted) and its caches are freed. From any thread; from the engine thread (a listener),
     * the close completes at the end of the current step instead of before returning.
     */
    void closeSession(SessionState state) {
        if (state.closed) return;
        state.closeRequested = true; // a step in progress stops emitting at once
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.submit(() -> loop.close(state, () -> {
            open.remove(state);
            done.complete(null);
        }), done::completeExceptionally);
        if (loop.isEngineThread()) return; // runs at the next boundary: waiting here would wait for ourselves
        try {
            done.join();
        } catch (CompletionException e) {
            if (!loop.isShutDown()) throw e;
            open.remove(state); // the engine closed first: it frees every session
        }
    }

    /** Runs {@code work} on the engine thread and returns its result (its exception, unwrapped, on failure). */
    private <T> T onEngineThread(Supplier<T> work) {
        if (loop.isEngineThread()) return work.get();
        try {
            return loop.call(work).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }

    @Override
    public void close() {
        for (SessionState s : open) closeSession(s);
        try {
            if (cuda != null) {
                onEngineThread(() -> {
                    cuda.close(); // on the engine thread, where the context is current
                    return null;
                });
            }
        } finally {
            loop.shutdown();
            if (streamed != null) streamed.close();
            kernels.close();
            arena.close();
        }
    }
}
