package dev.sequoia.engine.backend.cuda;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.cuda.Cuda;
import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.CudaEvent;
import dev.sequoia.cuda.CudaModule;
import dev.sequoia.cuda.CudaStream;
import dev.sequoia.cuda.DeviceBuffer;
import dev.sequoia.cuda.Fatbin;
import dev.sequoia.cuda.PinnedHostBuffer;
import dev.sequoia.cuda.SequoiaKernels;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.synthetic.ShapePresets;
import dev.sequoia.engine.kernel.RandomWeights;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import dev.sequoia.offload.device.StreamPlan;
import dev.sequoia.optimize.TreeChoice;
import dev.sequoia.optimize.TreeOptimizer;
import dev.sequoia.optimize.VerificationTimes;
import dev.sequoia.tree.AcceptanceVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * The measurements of experiments/device/gpu-check.sh, as one JVM run writing one JSON report: device and
 * driver, pinned vs pageable host-to-device bandwidth, CUDA-vs-CPU logits (golden model, synthetic model),
 * and streamed benchmarks of 70B-shaped synthetic models, one larger than the GPU's free memory and one on a
 * 48 GiB budget beside a 7B draft (achieved PCIe GB/s vs the pinned peak, event-timed stalls, t(n) up to
 * 2048, AR seconds/token, the optimizer's predicted speedup).
 *
 * <p>Usage: {@code GpuCheck <report.json> <shared models dir> [stream seconds budget]}.
 */
public final class GpuCheck {
    private GpuCheck() {}

    public static void main(String[] args) throws Exception {
        Path report = Path.of(args[0]);
        Path models = Path.of(args[1]);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode out = json.createObjectNode();
        out.put("cuda_available", Cuda.isAvailable());
        out.put("cuda_reason", Cuda.unavailableReason());
        try (CudaContext ctx = CudaContext.open(0)) {
            info(ctx, out);
            // the report is rewritten after every section: a run cut off by its time limit keeps what it measured
            // bandwidth always runs: the stream bench compares against its pinned peak
            section(out, "bandwidth", () -> bandwidth(ctx, out.putObject("bandwidth")));
            json.writeValue(report.toFile(), out);
            if (selected("golden_logits")) section(out, "golden_logits", () -> goldenLogits(ctx, models, out.putObject("golden_logits")));
            json.writeValue(report.toFile(), out);
            if (selected("attention_kernels")) section(out, "attention_kernels", () -> attentionKernels(ctx, out.putObject("attention_kernels")));
            json.writeValue(report.toFile(), out);
            if (selected("stream_bench")) section(out, "stream_bench", () -> streamBench(ctx, out, models, out.putObject("stream_bench")));
        } finally {
            ArrayNode failed = out.putArray("failures");
            FAILURES.forEach(failed::add);
            json.writeValue(report.toFile(), out);
            System.out.println(json.writeValueAsString(out));
        }
        // the exit status is the verdict gpu-check.sh passes on: a thrown section or a failed comparison is a failure
        if (!FAILURES.isEmpty()) {
            FAILURES.forEach(f -> System.err.println("GpuCheck FAILED: " + f));
            System.exit(1);
        }
    }

    /** What went wrong in this run: every thrown section and every failed comparison, in order. */
    private static final List<String> FAILURES = java.util.Collections.synchronizedList(new ArrayList<>());

    static void fail(String what) {
        FAILURES.add(what);
    }

    interface Section { void run() throws Exception; }

    /** GPU_CHECK_SECTIONS (comma-separated top-level section names) limits a rerun to some sections. */
    private static boolean selected(String name) {
        String only = System.getenv("GPU_CHECK_SECTIONS");
        return only == null || only.isBlank() || java.util.Arrays.asList(only.split(",")).contains(name);
    }

    private static void section(ObjectNode out, String name, Section s) {
        long t0 = System.nanoTime();
        try {
            s.run();
        } catch (Throwable e) {
            out.put(name + "_error", e.toString());
            fail(name + " threw " + e);
            e.printStackTrace();
        }
        out.put(name + "_seconds", (System.nanoTime() - t0) / 1e9);
    }

    private static void info(CudaContext ctx, ObjectNode out) {
        out.put("driver_version", Cuda.driverVersion());
        out.put("device", ctx.deviceName());
        out.put("compute_capability", ctx.computeCapability());
        CudaContext.MemoryInfo m = ctx.memoryInfo();
        out.put("free_bytes", m.freeBytes());
        out.put("total_bytes", m.totalBytes());
        out.put("fatbin", Fatbin.entries(SequoiaKernels.fatbin()).toString());
    }

    /** Median GB/s of 256 MiB H2D copies from pinned and from pageable (malloc'd by an arena) memory. */
    private static void bandwidth(CudaContext ctx, ObjectNode out) {
        long bytes = 256L << 20;
        try (PinnedHostBuffer pinned = ctx.allocatePinned(bytes); Arena arena = Arena.ofConfined();
             DeviceBuffer dev = ctx.allocate(bytes); CudaStream s = ctx.createStream();
             CudaEvent a = ctx.createEvent(true); CudaEvent b = ctx.createEvent(true)) {
            MemorySegment pageable = arena.allocate(bytes, 4096);
            out.put("pinned_h2d_gbps", copyRate(dev, pinned.segment(), s, a, b));
            out.put("pageable_h2d_gbps", copyRate(dev, pageable, s, a, b));
            out.put("bytes_per_copy", bytes);
        }
    }

    static double copyRate(DeviceBuffer dev, MemorySegment src, CudaStream s, CudaEvent a, CudaEvent b) {
        double[] gbps = new double[7];
        for (int i = 0; i < gbps.length; i++) {
            a.record(s);
            dev.copyFromAsync(src, 0, s);
            b.record(s);
            b.synchronize();
            gbps[i] = src.byteSize() / (CudaEvent.elapsedMillis(a, b) / 1e3) / 1e9;
        }
        Arrays.sort(gbps);
        return gbps[gbps.length / 2];
    }

    /** CUDA vs CPU logits on the golden prompts' tokens of stories260K, resident and streamed. */
    private static void goldenLogits(CudaContext ctx, Path models, ObjectNode out) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(models.resolve("stories260K.bin"), models.resolve("tok512.bin"), arena);
            var golden = new ObjectMapper().readTree(models.resolve("golden/stories260K-golden.json").toFile());
            ArrayNode cases = out.putArray("cases");
            long layerBytes = Fp16Layers.Offsets.of(m.config().dim(), m.config().kvDim(), m.config().hiddenDim()).total();
            long[] sizes = new long[m.config().layers()];
            Arrays.fill(sizes, layerBytes);
            for (StreamPlan plan : List.of(StreamPlan.fit(sizes, Long.MAX_VALUE, 2), StreamPlan.fit(sizes, 3 * layerBytes, 2))) {
                for (var c : golden.get("cases")) {
                    int[] tokens = new int[c.get("prompt_tokens").size()];
                    for (int i = 0; i < tokens.length; i++) tokens[i] = c.get("prompt_tokens").get(i).asInt();
                    ObjectNode r = cases.addObject();
                    r.put("prompt", c.get("prompt_pieces").toString());
                    r.put("streamed_layers", plan.streamedLayers().size());
                    compareChain(ctx, m.config(), m.weights(), m, tokens, plan, r);
                }
            }
        }
    }

    static void compareChain(CudaContext ctx, LlamaConfig config, LlamaWeights weights, Model m, int[] tokens,
                             StreamPlan plan, ObjectNode r) {
        int[] parents = new int[tokens.length];
        for (int i = 0; i < parents.length; i++) parents[i] = i - 1;
        LlamaTransformer cpu = new LlamaTransformer(m, new ScalarMatMul());
        KvCache cache = cpu.newCache(tokens.length);
        float[][] want = cpu.forward(cache, tokens, parents);
        try (CudaWeights w = CudaWeights.fromModel(ctx, config, weights, plan);
             CudaTransformer gpu = new CudaTransformer(ctx, w, tokens.length, tokens.length)) {
            float[][] got = gpu.forward(tokens, parents);
            double worst = 0;
            boolean argmaxEqual = true;
            for (int t = 0; t < tokens.length; t++) {
                float scale = 1;
                for (float v : want[t]) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < want[t].length; i++) worst = Math.max(worst, Math.abs(want[t][i] - got[t][i]) / scale);
                argmaxEqual &= CudaMath.argmax(want[t]) == CudaMath.argmax(got[t]);
            }
            r.put("max_relative_diff", worst);
            r.put("argmax_equal", argmaxEqual);
            boolean pass = worst <= 1e-2 && argmaxEqual; // NaN-safe: a NaN difference is not <= the tolerance
            r.put("pass", pass);
            if (!pass) fail("CUDA vs CPU logits on " + tokens.length + " tokens, " + plan.streamedLayers().size()
                    + " streamed layers: max relative diff " + worst + ", argmax equal " + argmaxEqual);
        }
    }

    /** The largest budget n measured; t(n) beyond it is not asked of the optimizer. */
    private static final int[] ALL_SIZES = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048};
    private static final int[] CARD_SIZES = {1, 16, 64, 128, 256, 512, 1024};
    private static final int[] Q8_SIZES = {1, 64, 256, 1024};
    private static final long GIB = 1L << 30;

    /**
     * Two streamed Llama-2-70B-shaped targets and a resident Llama-2-7B-shaped draft. "beyond_free_memory":
     * enough layers to exceed the GPU's free memory, all of it used for resident layers. "card_48gib": the
     * paper's setting (Llama-2-70B with a Llama-2-7B draft on a 48 GB L40), the target getting what a 48 GiB
     * card has left after the draft's weights and 4 GiB of KV cache and scratch. The draft's forward time and
     * an acceptance vector measured on the CPU (prepare.sh, the shared stories260K pair at T = 0.6) feed
     * Sequoia's optimizer with each scenario's t(n): the predicted tree, tokens per step and speedup.
     * "card_48gib_q8_0": the same card with Q8_0 layer images (half the bytes resident and streamed, dequantized
     * on the device before each layer's GEMMs).
     */
    private static void streamBench(CudaContext ctx, ObjectNode top, Path models, ObjectNode out) throws Exception {
        LlamaConfig shape = ShapePresets.load("llama2-70b");
        Fp16Layers.Offsets at = Fp16Layers.Offsets.of(shape.dim(), shape.kvDim(), shape.hiddenDim());
        double peak = top.path("bandwidth").path("pinned_h2d_gbps").asDouble(Double.NaN);
        ObjectNode draft = out.putObject("draft_llama2_7b_resident");
        section(out, "draft", () -> draftTimes(ctx, draft));
        double draftLevel = draft.path("seconds").path("64").asDouble(Double.NaN);
        AcceptanceVector p = acceptance(models, out);

        long free = ctx.memoryInfo().freeBytes();
        int layers = (int) (free / at.total()) + 2; // more than the free memory holds
        ObjectNode beyond = out.putObject("beyond_free_memory");
        section(out, "beyond_free_memory", () -> scenario(ctx, withLayers(shape, layers), LayerFormat.F16, free - 8 * GIB, ALL_SIZES, 2,
                peak, p, draftLevel, beyond));
        long draftBytes = draft.path("weight_bytes").asLong(14L * GIB);
        ObjectNode card = out.putObject("card_48gib");
        section(out, "card_48gib", () -> scenario(ctx, shape, LayerFormat.F16, 48 * GIB - draftBytes - 4 * GIB,
                CARD_SIZES, 1, peak, p, draftLevel, card));
        ObjectNode cardQ8 = out.putObject("card_48gib_q8_0");
        section(out, "card_48gib_q8_0", () -> scenario(ctx, shape, LayerFormat.Q8_0, 48 * GIB - draftBytes - 4 * GIB,
                Q8_SIZES, 1, peak, p, draftLevel, cardQ8));
    }

    private static LlamaConfig withLayers(LlamaConfig s, int layers) {
        return new LlamaConfig(s.dim(), s.hiddenDim(), layers, s.heads(), s.kvHeads(), s.vocabSize(), 4096, s.rmsEps(),
                s.ropeTheta(), s.ropeDim(), s.ropeLayout(), null);
    }

    /**
     * Both tree-attention kernels on a 2-layer Llama-2-70B-shaped resident model after a 512-token prefix:
     * forward seconds by n, so the difference between the columns is the attention's (2 layers' worth).
     */
    private static void attentionKernels(CudaContext ctx, ObjectNode out) {
        LlamaConfig c = withLayers(ShapePresets.load("llama2-70b"), 2);
        Fp16Layers.Offsets at = Fp16Layers.Offsets.of(c.dim(), c.kvDim(), c.hiddenDim());
        long[] sizes = new long[c.layers()];
        Arrays.fill(sizes, at.total());
        try (Arena arena = Arena.ofConfined();
             CudaWeights w = CudaWeights.synthetic(ctx, c, LayerFormat.F16, StreamPlan.fit(sizes, Long.MAX_VALUE, 2), 1,
                     GpuCheck::randomFp16, tables(arena, c))) {
            for (TreeAttentionKernel kernel : TreeAttentionKernel.values()) {
                ObjectNode row = out.putObject(kernel.symbol());
                try (CudaTransformer gpu = new CudaTransformer(ctx, w, 512 + 2048 + 8, 2048, kernel)) {
                    prefix(gpu, c, 512);
                    for (int n : new int[]{1, 8, 64, 512, 2048}) row.put(Integer.toString(n), medianForward(gpu, c, n, 3));
                }
            }
        }
    }

    /** The acceptance vector prepare.sh measured ({@code acceptance.json} beside the models), or none. */
    private static AcceptanceVector acceptance(Path models, ObjectNode out) throws Exception {
        Path file = models.resolve("acceptance.json");
        if (!java.nio.file.Files.isRegularFile(file)) {
            out.put("acceptance_missing", file.toString());
            return null;
        }
        var node = new ObjectMapper().readTree(file.toFile());
        double[] v = new double[node.get("acceptance").size()];
        for (int i = 0; i < v.length; i++) v[i] = node.get("acceptance").get(i).asDouble();
        out.set("acceptance", node);
        return AcceptanceVector.of(v);
    }

    /** A resident 7B-shaped draft: forward seconds for the level widths a large tree grows. */
    private static void draftTimes(CudaContext ctx, ObjectNode out) {
        LlamaConfig c = withLayers(ShapePresets.load("llama2-7b"), 32);
        Fp16Layers.Offsets at = Fp16Layers.Offsets.of(c.dim(), c.kvDim(), c.hiddenDim());
        long[] sizes = new long[c.layers()];
        Arrays.fill(sizes, at.total());
        StreamPlan plan = StreamPlan.fit(sizes, Long.MAX_VALUE, 2);
        out.put("weight_bytes", c.layers() * at.total() + 4L * c.vocabSize() * c.dim());
        ObjectNode seconds = out.putObject("seconds");
        try (Arena arena = Arena.ofConfined();
             CudaWeights w = CudaWeights.synthetic(ctx, c, LayerFormat.F16, plan, 1, GpuCheck::randomFp16, tables(arena, c));
             CudaTransformer gpu = new CudaTransformer(ctx, w, 512 + 128 + 8, 512)) {
            prefix(gpu, c, 512);
            for (int n : new int[]{1, 16, 64, 128}) seconds.put(Integer.toString(n), medianForward(gpu, c, n, 5));
        }
    }

    /** Commits a chain of {@code length} random tokens, as a prompt would. */
    private static void prefix(CudaTransformer gpu, LlamaConfig c, int length) {
        int[] tokens = new SplittableRandom(3).ints(length, 0, c.vocabSize()).toArray();
        int[] parents = new int[length];
        int[] path = new int[length];
        for (int i = 0; i < length; i++) {
            parents[i] = i - 1;
            path[i] = i;
        }
        gpu.forward(tokens, parents);
        gpu.keep(path);
    }

    /** Median host-timed seconds of {@code reps} forwards of an n-token chain after one warm-up. */
    private static double medianForward(CudaTransformer gpu, LlamaConfig c, int n, int reps) {
        double[] t = new double[reps];
        int[] tokens = new SplittableRandom(n).ints(n, 0, c.vocabSize()).toArray();
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) parents[i] = i - 1;
        gpu.forward(tokens, parents);
        gpu.keep(new int[0]);
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            gpu.forward(tokens, parents);
            t[i] = (System.nanoTime() - t0) / 1e9;
            gpu.keep(new int[0]);
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    /**
     * One streamed target with layer images of {@code format}: the plan for {@code weightBudget} (less one fp16
     * layer of dequant scratch when quantized), then t(n) for each size after a 512-token prefix (host-timed
     * median of {@code reps}, plus the device-timed pass and stall of the last one), and the optimizer's choice
     * over these t(n).
     */
    private static void scenario(CudaContext ctx, LlamaConfig c, LayerFormat format, long weightBudget, int[] sizes,
                                 int reps, double peak, AcceptanceVector p, double draftLevel, ObjectNode out) {
        Fp16Layers.Offsets at = format.offsets(c);
        long scratch = format.isQuantized() ? LayerFormat.F16.offsets(c).total() : 0;
        StreamPlan plan = StreamPlan.fit(CudaWeights.layerBytes(c, format), weightBudget - scratch, 3);
        out.put("layer_format", format.name());
        out.put("dequant_scratch_bytes", scratch);
        out.put("layers", c.layers());
        out.put("layer_bytes", at.total());
        out.put("model_bytes", (long) c.layers() * at.total());
        out.put("free_bytes_before", ctx.memoryInfo().freeBytes());
        out.put("weight_budget_bytes", weightBudget);
        out.put("resident_layers", c.layers() - plan.streamedLayers().size());
        out.put("slots", plan.slots());
        out.put("streamed_bytes_per_pass", plan.streamedBytesPerPass());
        int maxN = sizes[sizes.length - 1];
        try (Arena arena = Arena.ofConfined();
             CudaWeights w = CudaWeights.synthetic(ctx, c, format, plan, 4, randomLayer(format), tables(arena, c));
             CudaTransformer gpu = new CudaTransformer(ctx, w, 512 + maxN + 8, Math.max(512, maxN))) {
            if (format.isQuantized() && plan.resident()[0]) out.put("dequant_seconds_per_layer", dequantSeconds(ctx, w));
            prefix(gpu, c, 512);
            ArrayNode tn = out.putArray("t_n");
            SortedMap<Integer, Double> times = new TreeMap<>();
            double t1 = 0;
            int computeBound = -1;
            for (int n : sizes) {
                double t = medianForward(gpu, c, n, reps);
                PassTiming device = gpu.lastPassTiming();
                if (n == 1) t1 = t;
                if (computeBound < 0 && t / t1 > 1.1) computeBound = n;
                times.put(n, t);
                ObjectNode row = tn.addObject();
                row.put("n", n);
                row.put("seconds", t);
                row.put("ratio_to_t1", t / t1);
                row.put("achieved_gbps", plan.streamedBytesPerPass() / t / 1e9);
                row.put("device_pass_seconds", device.passSeconds());
                row.put("device_stall_seconds", device.stallSeconds());
                row.put("stall_fraction", device.stallFraction());
                System.out.printf("%s n=%d t=%.3fs ratio=%.3f stall=%.3f%n", out.path("layers"), n, t, t / t1, device.stallFraction());
            }
            double achieved = plan.streamedBytesPerPass() / t1 / 1e9;
            out.put("ar_seconds_per_token", t1);
            out.put("achieved_gbps_n1", achieved);
            out.put("fraction_of_pinned_peak", achieved / peak);
            out.put("first_n_with_ratio_above_1_1", computeBound);
            out.put("target_90pct_of_peak_met", achieved / peak >= 0.9);
            if (p != null && draftLevel > 0) predicted(p, times, draftLevel, out.putObject("predicted"));
        }
    }

    /** Median event-timed seconds of dequantizing resident layer 0 into an fp16 image (7 runs after a warm-up). */
    private static double dequantSeconds(CudaContext ctx, CudaWeights w) {
        try (CudaModule module = SequoiaKernels.load(ctx); CudaStream s = ctx.createStream();
             LayerDequantizer d = new LayerDequantizer(ctx, w.format, w.fp16Offsets);
             CudaEvent a = ctx.createEvent(true); CudaEvent b = ctx.createEvent(true)) {
            d.toFp16(module, s, w.layerBase(0, -1));
            double[] t = new double[7];
            for (int i = 0; i < t.length; i++) {
                a.record(s);
                d.toFp16(module, s, w.layerBase(0, -1));
                b.record(s);
                b.synchronize();
                t[i] = CudaEvent.elapsedMillis(a, b) / 1e3;
            }
            Arrays.sort(t);
            return t[t.length / 2];
        }
    }

    /** Sequoia's optimizer over the measured t(n) and draft level time (levels counted as TreeOptimizer does). */
    private static void predicted(AcceptanceVector p, SortedMap<Integer, Double> times, double draftLevel, ObjectNode out) {
        TreeChoice choice = TreeOptimizer.optimize(p, new VerificationTimes(times), draftLevel, 32);
        out.put("draft_seconds_per_level", draftLevel);
        out.put("tree_budget", choice.budget());
        out.put("tree_levels", choice.levels());
        out.put("expected_tokens_per_step", choice.expectedTokens());
        out.put("seconds_per_token", choice.timePerToken());
        out.put("speedup_vs_autoregressive", choice.predictedSpeedup());
    }

    /**
     * Small random fp16 weights (|w| < 0.02) so activations stay finite through many layers: a seeded 4 MiB
     * pattern tiled over the image (filling 1.7 GB element by element would dominate the check's time).
     */
    private static void randomFp16(int layer, MemorySegment dst) {
        SplittableRandom r = new SplittableRandom(1000 + layer);
        long pattern = Math.min(dst.byteSize(), 4L << 20);
        for (long i = 0; i < pattern / 2; i++) dst.set(Fp16Layers.F16, 2 * i, Float.floatToFloat16((float) r.nextDouble(-0.02, 0.02)));
        for (long off = pattern; off < dst.byteSize(); off += pattern) {
            MemorySegment.copy(dst, 0, dst, off, Math.min(pattern, dst.byteSize() - off));
        }
    }

    /** The synthetic layer writer for {@code format}. */
    static BiConsumer<Integer, MemorySegment> randomLayer(LayerFormat format) {
        return switch (format) {
            case F16 -> GpuCheck::randomFp16;
            case Q8_0, Q4_0 -> (layer, dst) -> randomBlocks(format, layer, dst);
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> (layer, dst) -> randomKQuantBlocks(format, layer, dst);
            case K_MIXED -> throw new IllegalArgumentException("K_MIXED images come from a model (KQuantLayout), not random blocks");
        };
    }

    /**
     * K-quant blocks of seeded uniform weights (|w| <= 0.02, as {@link #randomFp16}) encoded by the engine's
     * quantizer, so every scale is sane: a pattern of whole blocks (about 4 MiB) tiled over the image.
     */
    static void randomKQuantBlocks(LayerFormat format, int layer, MemorySegment dst) {
        TensorType type = format.type();
        int blockBytes = type.bytesPerBlock(), rowBlocks = 16;
        SplittableRandom r = new SplittableRandom(3000 + layer);
        long rowBytes = (long) rowBlocks * blockBytes;
        long pattern = Math.min(dst.byteSize() / rowBytes * rowBytes, Math.max(rowBytes, (4L << 20) / rowBytes * rowBytes));
        float[] row = new float[rowBlocks * type.blockSize()];
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) rowBytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (long off = 0; off < pattern; off += rowBytes) {
            for (int i = 0; i < row.length; i++) row[i] = (float) r.nextDouble(-0.02, 0.02);
            buf.clear();
            dev.sequoia.engine.format.RowEncoder.encode(row, type, buf);
            MemorySegment.copy(MemorySegment.ofArray(buf.array()), 0, dst, off, rowBytes);
        }
        for (long off = pattern; off < dst.byteSize(); off += pattern) {
            MemorySegment.copy(dst, 0, dst, off, Math.min(pattern, dst.byteSize() - off));
        }
    }

    /**
     * Random Q8_0 / Q4_0 blocks with small fp16 scales (|w| <= 0.02, as {@link #randomFp16}) so activations stay
     * finite: a seeded pattern of whole blocks (about 4 MiB) tiled over the image, which is whole blocks too.
     */
    static void randomBlocks(LayerFormat format, int layer, MemorySegment dst) {
        int blockBytes = format.type().bytesPerBlock();
        float maxQuant = format == LayerFormat.Q8_0 ? 128f : 8f;
        SplittableRandom r = new SplittableRandom(2000 + layer);
        long pattern = Math.min(dst.byteSize(), (4L << 20) / blockBytes * blockBytes);
        for (long b = 0; b < pattern; b += blockBytes) {
            dst.set(Fp16Layers.F16, b, Float.floatToFloat16((float) (r.nextDouble(0.25, 1.0) * 0.02 / maxQuant)));
            for (int i = 2; i < blockBytes; i++) dst.set(ValueLayout.JAVA_BYTE, b + i, (byte) r.nextInt(256));
        }
        for (long off = pattern; off < dst.byteSize(); off += pattern) {
            MemorySegment.copy(dst, 0, dst, off, Math.min(pattern, dst.byteSize() - off));
        }
    }

    /** Embedding, classifier and norms for a synthetic model (layer projections come from the writer). */
    private static LlamaWeights tables(Arena arena, LlamaConfig c) {
        WeightMatrix emb = RandomWeights.create(arena, "token_embd", TensorType.F16, c.vocabSize(), c.dim(), 11);
        WeightMatrix dummy = RandomWeights.create(arena, "unused", TensorType.F32, 1, 32, 12);
        float[] ones = new float[c.dim()];
        Arrays.fill(ones, 1f);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            layers.add(new LayerWeights(ones, dummy, dummy, dummy, dummy, ones, dummy, dummy, dummy));
        }
        return new LlamaWeights(emb, layers, ones, emb);
    }
}
