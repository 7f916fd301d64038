package dev.sequoia.engine.backend.offload;

import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.model.Model;
import dev.sequoia.offload.io.DiskProbe;
import dev.sequoia.offload.io.ParallelReader;
import dev.sequoia.offload.plan.PlanInputs;
import dev.sequoia.offload.plan.ResidencyPlan;
import dev.sequoia.offload.plan.ResidencyPlanner;
import dev.sequoia.offload.telemetry.PassTelemetry;
import dev.sequoia.offload.tier.DiskTier;
import dev.sequoia.offload.tier.MemoryLedger;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Sets up the engine's streamed target: measures the disk's direct-I/O bandwidth on the model file (a short
 * probe of a few layer-sized blocks), plans residency within the budget, runs one warm-up pass to measure the
 * compute time per layer, and re-plans with it. The result is a {@link StreamedLayerSource} that the caller
 * owns and closes. Stateless.
 */
public final class TargetOffload {
    /** Most bytes the bandwidth probe reads. */
    private static final long PROBE_BYTES = 1L << 30;

    private TargetOffload() {}

    /**
     * @param otherBytes bytes held in the compute tier besides the target (the resident draft and its cache)
     * @param cacheRows  KV rows of one session's target cache, counted against the budget
     */
    public static StreamedLayerSource open(Model model, LlamaTransformer transformer, OffloadSettings settings,
                                           long otherBytes, int cacheRows, Consumer<String> log) {
        if (!settings.enabled()) throw new IllegalArgumentException("no memory budget set: the target stays resident");
        ModelExtents extents = ModelExtents.of(model);
        long fixed = fixedBytes(model, cacheRows) + otherBytes;
        MemoryLedger ledger = new MemoryLedger();
        DiskTier tier = openTier(extents, settings);
        ResidencyPlan first;
        double bytesPerSecond;
        try {
            long[] layerBytes = tier.slotBytesPerLayer();
            bytesPerSecond = probe(tier, settings, Arrays.stream(layerBytes).max().orElseThrow(), log);
            first = ResidencyPlanner.plan(new PlanInputs(settings.budgetBytes(), fixed, layerBytes, bytesPerSecond, 0),
                    settings.overrides());
        } catch (RuntimeException e) {
            tier.close();
            throw e;
        }
        StreamedLayerSource source = sourceOver(model, tier, first, ledger);
        if (!first.streams()) return source;
        double computeNanos;
        try {
            computeNanos = computeNanosPerLayer(transformer, source);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
        ResidencyPlan second = ResidencyPlanner.plan(new PlanInputs(settings.budgetBytes(), fixed,
                tier.slotBytesPerLayer(), bytesPerSecond, computeNanos), settings.overrides());
        if (second.resident().equals(first.resident()) && second.slots() == first.slots()) return source;
        source.close();
        return sourceOver(model, openTier(extents, settings), second, ledger);
    }

    /** The source takes ownership of the tier once made; a failure while reading resident layers closes it here. */
    private static StreamedLayerSource sourceOver(Model model, DiskTier tier, ResidencyPlan plan, MemoryLedger ledger) {
        try {
            return new StreamedLayerSource(model.weights(), tier, plan, ledger);
        } catch (RuntimeException e) {
            tier.close();
            throw e;
        }
    }

    /** Bytes a wholly resident model holds: its fixed parts, every layer's projections and a cache of {@code rows}. */
    public static long residentBytes(Model model, int rows) {
        long layers = model.weights().layers().stream().mapToLong(LayerWeights::projectionBytes).sum();
        return fixedBytes(model, Math.min(rows, model.config().contextLength())) + layers;
    }

    /**
     * The name a verification-time profile measured under this plan is cached as: t(n) depends on the threads,
     * the budget, the slot count and how many layers stream.
     */
    public static String configurationName(int threads, ResidencyPlan plan) {
        return String.format(Locale.ROOT, "cpu-offload-threads%d-budget%d-R%d-resident%dof%d", threads,
                plan.budgetBytes(), plan.slots(), plan.resident().size(), plan.layers());
    }

    private static DiskTier openTier(ModelExtents extents, OffloadSettings s) {
        return DiskTier.open(extents.files(), extents.layers(), s.readers(), s.chunkBytes());
    }

    /** Bytes per second of sequential direct reads, in layer-sized blocks as streamed. */
    private static double probe(DiskTier tier, OffloadSettings s, long layerBytes, Consumer<String> log) {
        try (ParallelReader reader = new ParallelReader(tier.file(), s.readers(), s.chunkBytes())) {
            DiskProbe.Measurement m = DiskProbe.sequential(reader, Math.min(PROBE_BYTES, 4 * layerBytes), layerBytes);
            if (!tier.file().isDirect()) log.accept("warning: " + tier.file().fallbackReason());
            log.accept(String.format(Locale.ROOT, "disk: %.2f GB/s (%s reads of %d bytes)", m.gbps(),
                    m.direct() ? "direct" : "buffered", m.bytes()));
            return Math.max(1, m.gbps() * 1e9);
        }
    }

    /** One single-token pass through the source: its time less the stalls, per layer. */
    private static double computeNanosPerLayer(LlamaTransformer transformer, StreamedLayerSource source) {
        KvCache cache = transformer.newCache(2);
        transformer.forward(cache, new int[] {1}, new int[] {-1}, source);
        PassTelemetry t = source.lastPass();
        return Math.max(0, t.passNanos() - t.stallNanos()) / (double) transformer.config().layers();
    }

    /** Embedding, classifier (once when tied), norms and the KV cache: held whatever the plan. */
    public static long fixedBytes(Model model, int cacheRows) {
        LlamaWeights w = model.weights();
        long bytes = w.tokenEmbedding().byteSize();
        if (w.classifier().data().address() != w.tokenEmbedding().data().address()) bytes += w.classifier().byteSize();
        var c = model.config();
        bytes += 4L * c.dim() * (2L * c.layers() + 1);
        bytes += 2L * c.layers() * cacheRows * c.kvDim() * Float.BYTES;
        return bytes;
    }
}
