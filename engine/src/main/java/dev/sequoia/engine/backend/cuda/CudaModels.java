package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.session.AutoregressiveDecoder;
import dev.sequoia.engine.session.StepDecoder;
import dev.sequoia.engine.speculative.TreeProvider;
import dev.sequoia.engine.speculative.VerificationProfiler;
import dev.sequoia.offload.device.StreamPlan;

/**
 * The engine's CUDA side: one device context, the target's weights (resident, or within a device budget with
 * the layers that do not fit streamed from pinned host memory through {@link #SLOTS} slots) and the draft's
 * (resident), one {@link CudaTransformer} per model shared by every session (streams, scratch, staging), and the
 * factory of sessions' decoders, each holding its own device KV caches ({@link CudaKvCache}, sized to the
 * session). Sharing the transformers is what lets the engine's shared pass run every session's forwards as one
 * (issue 18): their models have one {@link dev.sequoia.engine.session.PassModel.Key} per transformer.
 *
 * <p>Threading: the context is current on the thread that opens this object; every call, {@link #close()}
 * included, must come from that thread (the engine thread). Ownership: the transformers, then the weights are
 * closed before the context; sessions' decoders (their caches) must be closed before this object.
 */
public final class CudaModels implements AutoCloseable {
    /** Rotating device slots of a streamed target. */
    public static final int SLOTS = 3;

    private final CudaContext ctx;
    private final Model target;
    private final CudaWeights targetWeights;
    private final CudaWeights draftWeights;
    private final long layerBudgetBytes;
    private CudaTransformer targetPass; // shared by every session, made with the first session
    private CudaTransformer draftPass;

    private CudaModels(CudaContext ctx, Model target, CudaWeights targetWeights, CudaWeights draftWeights,
                       long layerBudgetBytes) {
        this.ctx = ctx;
        this.target = target;
        this.targetWeights = targetWeights;
        this.draftWeights = draftWeights;
        this.layerBudgetBytes = layerBudgetBytes;
    }

    /**
     * The target's shared transformer. Its scratch starts at one prefill chunk and grows with the largest pass
     * (several sessions' trees and prompt chunks).
     */
    private CudaTransformer targetPass() {
        if (targetPass == null) targetPass = new CudaTransformer(ctx, targetWeights, 0, AutoregressiveDecoder.PREFILL_CHUNK);
        return targetPass;
    }

    private CudaTransformer draftPass() {
        if (draftPass == null) draftPass = new CudaTransformer(ctx, draftWeights, 0, AutoregressiveDecoder.PREFILL_CHUNK);
        return draftPass;
    }

    /**
     * Opens device 0 on the calling thread and uploads the models.
     *
     * @param draft             the draft, or null for plain decoding
     * @param layerBudgetBytes  device bytes for the target's layer images (resident layers plus slots); 0 keeps
     *                          every layer resident
     */
    public static CudaModels open(Model target, Model draft, long layerBudgetBytes) {
        CudaContext ctx = CudaContext.open(0);
        CudaWeights t = null;
        try {
            t = upload(ctx, target, layerBudgetBytes);
            CudaWeights d = draft == null ? null : upload(ctx, draft, 0);
            return new CudaModels(ctx, target, t, d, layerBudgetBytes);
        } catch (RuntimeException e) {
            if (t != null) t.close();
            ctx.close();
            throw e;
        }
    }

    /** The model's layer images in its own format, planned within {@code budget} (0: all resident). */
    private static CudaWeights upload(CudaContext ctx, Model m, long budget) {
        LayerFormat format = LayerFormat.of(m.weights());
        long[] bytes = CudaWeights.layerBytes(m.config(), m.weights(), format);
        StreamPlan plan = StreamPlan.fit(bytes, budget > 0 ? budget : Long.MAX_VALUE, SLOTS);
        return CudaWeights.fromModel(ctx, m.config(), m.weights(), plan, format);
    }

    /** The target's residency plan on the device. */
    public StreamPlan targetPlan() { return targetWeights.plan; }

    /** Target forwards so far that ran several sessions' rows as one pass. */
    public long sharedTargetForwards() { return targetPass == null ? 0 : targetPass.sharedForwards(); }

    /** One line on what runs where, to print. */
    public String describe() {
        StreamPlan p = targetWeights.plan;
        int streamed = p.streamedLayers().size();
        return "[cuda: " + ctx.deviceName() + "; target " + targetWeights.format + ", " + (p.layers() - streamed)
                + " of " + p.layers() + " layers resident" + (streamed > 0 ? ", " + streamed + " streamed through "
                + p.slots() + " slots" : "") + (draftWeights == null ? "" : "; draft resident") + "]";
    }

    /** A plain decoder whose device KV cache holds {@code capacity} rows. */
    public StepDecoder autoregressive(int capacity) {
        CudaTransformer t = targetPass();
        return new CudaAutoregressiveDecoder(new CudaDecodingModel(t, t.newCache(capacity), target.config().vocabSize()));
    }

    /** A speculative decoder under {@code trees}, with target and draft caches of {@code capacity} rows. */
    public StepDecoder speculative(TreeProvider trees, int capacity) {
        if (draftWeights == null) throw new IllegalStateException("speculative decoding needs a draft model");
        CudaTransformer t = targetPass(), d = draftPass();
        CudaKvCache targetCache = t.newCache(capacity);
        try {
            int vocab = target.config().vocabSize();
            return new CudaSpeculativeDecoder(new CudaDecodingModel(t, targetCache, vocab),
                    new CudaDecodingModel(d, d.newCache(capacity), vocab), trees);
        } catch (RuntimeException e) {
            targetCache.close();
            throw e;
        }
    }

    /**
     * t(n) and the draft's time per level width measured on this GPU in the target's device plan, for
     * {@code --tree auto}. On the engine thread (the context is current there).
     */
    public VerificationProfiler.Profile profile(int[] budgets) {
        if (draftWeights == null) throw new IllegalStateException("profiling speculation needs a draft model");
        return CudaProfiler.measure(ctx, targetWeights, draftWeights, budgets, 64, 3);
    }

    /** The name the profile of this device, budget and device plan is cached under (per model pair). */
    public String profileConfiguration() {
        return profileConfiguration(ctx.deviceName(), targetWeights.format.toString(), layerBudgetBytes, targetWeights.plan);
    }

    /** {@code cuda-<device>-<format>-budget<bytes>-resident<k>of<layers>-R<slots>}, file-name safe. */
    static String profileConfiguration(String device, String format, long budgetBytes, StreamPlan plan) {
        int resident = plan.layers() - plan.streamedLayers().size();
        String name = "cuda-" + device + "-" + format + "-budget" + (budgetBytes > 0 ? budgetBytes : "all")
                + "-resident" + resident + "of" + plan.layers() + "-R" + plan.slots();
        return name.replaceAll("[^A-Za-z0-9_.-]+", "_");
    }

    @Override
    public void close() {
        try {
            try {
                if (draftPass != null) draftPass.close();
            } finally {
                if (targetPass != null) targetPass.close();
            }
        } finally {
            try {
                if (draftWeights != null) draftWeights.close();
                targetWeights.close();
            } finally {
                ctx.close();
            }
        }
    }
}
