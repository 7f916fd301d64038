package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.DeviceBuffer;
import dev.sequoia.cuda.PinnedHostBuffer;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.offload.device.StreamPlan;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Owns every weight byte of a model on the CUDA side: fp16 embedding and classifier, fp32 norms, resident
 * layer images in device memory, streamed layer images in pinned host memory, and the R device slots they
 * stream into ({@link StreamPlan}). Everything is freed by {@link #close()}, device memory before the context.
 *
 * <p>Layer images are in one {@link LayerFormat}: by default the model's own ({@link LayerFormat#of}: a Q8_0,
 * Q4_0 or K-quant model keeps its blocks verbatim, so half or less of the fp16 bytes are resident or streamed; any other
 * model is fp16). {@code fromModel(..., LayerFormat.F16)} forces fp16 for comparison. The plan's layer sizes
 * should be {@link #layerBytes} of that format (a slot must hold one image).
 *
 * <p>Layer images come from a writer {@code (layer, destination) -> fill} so a benchmark can stream synthetic
 * layers (and reuse a few pinned images for a model larger than host memory should hold); see
 * {@link #fromModel}.
 */
public final class CudaWeights implements AutoCloseable {
    final LlamaConfig config;
    final StreamPlan plan;
    final LayerFormat format;
    final KQuantLayout kquant;            // per-projection K types of a K_MIXED image, else null
    final Fp16Layers.Offsets offsets;     // of the stored image (format)
    final Fp16Layers.Offsets fp16Offsets; // of the fp16 image the GEMMs read
    final DeviceBuffer embedding;   // (vocab, dim) fp16
    final DeviceBuffer classifier;  // (vocab, dim) fp16
    final DeviceBuffer norms;       // per layer: attn (dim) then ffn (dim) fp32; then final (dim)
    final DeviceBuffer[] resident;  // layer -> image, null when streamed
    final PinnedHostBuffer[] hostImages; // distinct pinned images of streamed layers
    final int[] hostImageOf;        // layer -> index into hostImages, -1 when resident
    final DeviceBuffer[] slots;
    private final List<AutoCloseable> owned = new ArrayList<>();

    private CudaWeights(CudaContext ctx, LlamaConfig config, LayerFormat format, KQuantLayout kquant, StreamPlan plan,
                        int distinctHostImages, BiConsumer<Integer, MemorySegment> layerWriter, LlamaWeights small) {
        this.config = config;
        this.plan = plan;
        this.format = format;
        this.kquant = kquant;
        this.offsets = kquant != null ? kquant.offsets(config) : format.offsets(config);
        this.fp16Offsets = LayerFormat.F16.offsets(config);
        if (plan.layers() != config.layers()) {
            throw new IllegalArgumentException("stream plan has " + plan.layers() + " layers, the model " + config.layers());
        }
        if (plan.slots() > 0 && plan.slotBytes() < offsets.total()) {
            throw new IllegalArgumentException("stream plan slots hold " + plan.slotBytes() + " bytes; a " + format
                    + " layer image needs " + offsets.total());
        }
        int layers = config.layers();
        resident = new DeviceBuffer[layers];
        hostImageOf = new int[layers];
        try (Arena staging = Arena.ofConfined();
             PinnedHostBuffer pinnedStaging = ctx.allocatePinned(offsets.total())) {
            // resident images go up through one pinned staging buffer: full PCIe rate, not the pageable path's
            MemorySegment image = pinnedStaging.segment();
            List<PinnedHostBuffer> pinned = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                hostImageOf[l] = -1;
                if (plan.resident()[l]) {
                    layerWriter.accept(l, image);
                    resident[l] = own(ctx.allocate(offsets.total()));
                    resident[l].copyFrom(image, 0);
                } else if (pinned.size() < distinctHostImages) {
                    PinnedHostBuffer p = own(ctx.allocatePinned(offsets.total()));
                    layerWriter.accept(l, p.segment());
                    hostImageOf[l] = pinned.size();
                    pinned.add(p);
                } else {
                    hostImageOf[l] = hostImageOfStreamed(l, pinned.size());
                }
            }
            hostImages = pinned.toArray(PinnedHostBuffer[]::new);
            slots = new DeviceBuffer[plan.slots()];
            for (int s = 0; s < slots.length; s++) slots[s] = own(ctx.allocate(offsets.total()));
            embedding = own(ctx.allocate(2L * config.vocabSize() * config.dim()));
            classifier = own(ctx.allocate(2L * config.vocabSize() * config.dim()));
            norms = own(ctx.allocate(4L * (2L * layers + 1) * config.dim()));
            if (small != null) uploadTables(small, staging);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private int hostImageOfStreamed(int layer, int distinct) {
        int streamedIndex = plan.streamedLayers().indexOf(layer);
        return streamedIndex % distinct;
    }

    /** The model's own weights in the model's own format ({@link LayerFormat#of}): every layer image distinct. */
    public static CudaWeights fromModel(CudaContext ctx, LlamaConfig config, LlamaWeights weights, StreamPlan plan) {
        return fromModel(ctx, config, weights, plan, LayerFormat.of(weights));
    }

    /**
     * The model's own weights in {@code format}: F16 works for any model (a quantized one is dequantized on the
     * host, for comparison); Q8_0 / Q4_0 need every projection of that type.
     */
    public static CudaWeights fromModel(CudaContext ctx, LlamaConfig config, LlamaWeights weights, StreamPlan plan,
                                        LayerFormat format) {
        if (format == LayerFormat.K_MIXED) {
            KQuantLayout layout = KQuantLayout.of(weights);
            if (layout == null) throw new IllegalArgumentException("K_MIXED layer images need every projection to be a K-quant");
            Fp16Layers.Offsets at = layout.offsets(config);
            return new CudaWeights(ctx, config, format, layout, plan, config.layers(),
                    (l, dst) -> layout.write(l, weights.layers().get(l), at, dst), weights);
        }
        Fp16Layers.Offsets at = format.offsets(config);
        BiConsumer<Integer, MemorySegment> writer = format == LayerFormat.F16
                ? (l, dst) -> Fp16Layers.write(weights.layers().get(l), at, dst)
                : (l, dst) -> QuantLayers.write(weights.layers().get(l), format, at, dst);
        return new CudaWeights(ctx, config, format, null, plan, config.layers(), writer, weights);
    }

    /**
     * Synthetic layers for streaming benchmarks: {@code distinctHostImages} pinned images of {@code format} are
     * filled by {@code writer} and streamed layer i reads image {@code i mod distinct} (the bytes over PCIe are
     * the same as for distinct layers). Embedding, classifier and norms come from {@code tables}.
     */
    public static CudaWeights synthetic(CudaContext ctx, LlamaConfig config, LayerFormat format, StreamPlan plan,
                                        int distinctHostImages, BiConsumer<Integer, MemorySegment> writer,
                                        LlamaWeights tables) {
        return new CudaWeights(ctx, config, format, null, plan, Math.max(1, distinctHostImages), writer, tables);
    }

    /** Bytes of one layer image of {@code weights} in {@code format} (K_MIXED too), for every layer. */
    public static long[] layerBytes(LlamaConfig config, LlamaWeights weights, LayerFormat format) {
        if (format != LayerFormat.K_MIXED) return layerBytes(config, format);
        long[] b = new long[config.layers()];
        java.util.Arrays.fill(b, KQuantLayout.of(weights).offsets(config).total());
        return b;
    }

    /** Bytes of one layer image of {@code format}, for every layer (what {@link StreamPlan#fit} takes). */
    public static long[] layerBytes(LlamaConfig config, LayerFormat format) {
        long[] b = new long[config.layers()];
        java.util.Arrays.fill(b, format.offsets(config).total());
        return b;
    }

    private void uploadTables(LlamaWeights w, Arena staging) {
        int dim = config.dim();
        MemorySegment table = staging.allocate(2L * config.vocabSize() * dim, 64);
        Fp16Layers.writeMatrix(w.tokenEmbedding(), table, 0);
        embedding.copyFrom(table, 0);
        Fp16Layers.writeMatrix(w.classifier(), table, 0);
        classifier.copyFrom(table, 0);
        MemorySegment n = staging.allocate(norms.byteSize(), 64);
        for (int l = 0; l < config.layers(); l++) {
            LayerWeights lw = w.layers().get(l);
            MemorySegment.copy(lw.attnNorm(), 0, n, ValueLayout.JAVA_FLOAT, 4L * (2L * l) * dim, dim);
            MemorySegment.copy(lw.ffnNorm(), 0, n, ValueLayout.JAVA_FLOAT, 4L * (2L * l + 1) * dim, dim);
        }
        MemorySegment.copy(w.finalNorm(), 0, n, ValueLayout.JAVA_FLOAT, 4L * 2L * config.layers() * dim, dim);
        norms.copyFrom(n, 0);
    }

    long attnNorm(int layer) { return norms.address(4L * 2L * layer * config.dim()); }
    long ffnNorm(int layer) { return norms.address(4L * (2L * layer + 1) * config.dim()); }
    long finalNorm() { return norms.address(4L * 2L * config.layers() * config.dim()); }

    /** The layer images' format. */
    public LayerFormat format() { return format; }

    /** Offsets of the fp16 layer image the GEMMs read (for a quantized format, its dequantized scratch). */
    public Fp16Layers.Offsets fp16Offsets() { return fp16Offsets; }

    /** Device address of the image layer {@code layer} is computed from: its resident buffer or a slot. */
    public long layerBase(int layer, int slot) {
        return slot < 0 ? resident[layer].address() : slots[slot].address();
    }

    MemorySegment hostImage(int layer) { return hostImages[hostImageOf[layer]].segment(); }

    private <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                if (first == null) first = e instanceof RuntimeException r ? r : new RuntimeException(e);
            }
        }
        owned.clear();
        if (first != null) throw first;
    }
}
