package dev.sequoia.engine.bench.device;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.CudaEvent;
import dev.sequoia.cuda.CudaModule;
import dev.sequoia.cuda.CudaStream;
import dev.sequoia.cuda.SequoiaKernels;
import dev.sequoia.engine.backend.cuda.CudaTransformer;
import dev.sequoia.engine.backend.cuda.CudaWeights;
import dev.sequoia.engine.backend.cuda.Fp16Layers;
import dev.sequoia.engine.backend.cuda.LayerDequantizer;
import dev.sequoia.engine.backend.cuda.LayerFormat;
import dev.sequoia.engine.backend.cuda.PassTiming;
import dev.sequoia.engine.format.synthetic.ShapePresets;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.offload.device.StreamPlan;
import dev.sequoia.optimize.TreeChoice;
import dev.sequoia.optimize.TreeOptimizer;
import dev.sequoia.optimize.VerificationTimes;
import dev.sequoia.tree.AcceptanceVector;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;

import static dev.sequoia.engine.bench.device.DeviceForwards.medianForward;
import static dev.sequoia.engine.bench.device.DeviceForwards.prefix;
import static dev.sequoia.engine.bench.device.DeviceForwards.withLayers;

/** The GPU check's "stream_bench" section: streamed 70B-shaped targets, t(n), stalls and the optimizer's prediction. */
final class StreamBench {
    private StreamBench() {}

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
    static void run(CudaContext ctx, ObjectNode top, Path models, ObjectNode out) throws Exception {
        LlamaConfig shape = ShapePresets.load("llama2-70b");
        Fp16Layers.Offsets at = Fp16Layers.Offsets.of(shape.dim(), shape.kvDim(), shape.hiddenDim());
        double peak = top.path("bandwidth").path("pinned_h2d_gbps").asDouble(Double.NaN);
        ObjectNode draft = out.putObject("draft_llama2_7b_resident");
        GpuCheck.section(out, "draft", () -> draftTimes(ctx, draft));
        double draftLevel = draft.path("seconds").path("64").asDouble(Double.NaN);
        AcceptanceVector p = acceptance(models, out);

        long free = ctx.memoryInfo().freeBytes();
        int layers = (int) (free / at.total()) + 2; // more than the free memory holds
        ObjectNode beyond = out.putObject("beyond_free_memory");
        GpuCheck.section(out, "beyond_free_memory", () -> scenario(ctx, withLayers(shape, layers), LayerFormat.F16, free - 8 * GIB, ALL_SIZES, 2,
                peak, p, draftLevel, beyond));
        long draftBytes = draft.path("weight_bytes").asLong(14L * GIB);
        ObjectNode card = out.putObject("card_48gib");
        GpuCheck.section(out, "card_48gib", () -> scenario(ctx, shape, LayerFormat.F16, 48 * GIB - draftBytes - 4 * GIB,
                CARD_SIZES, 1, peak, p, draftLevel, card));
        ObjectNode cardQ8 = out.putObject("card_48gib_q8_0");
        GpuCheck.section(out, "card_48gib_q8_0", () -> scenario(ctx, shape, LayerFormat.Q8_0, 48 * GIB - draftBytes - 4 * GIB,
                Q8_SIZES, 1, peak, p, draftLevel, cardQ8));
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
             CudaWeights w = CudaWeights.synthetic(ctx, c, LayerFormat.F16, plan, 1, SyntheticLayers::randomFp16, SyntheticLayers.tables(arena, c));
             CudaTransformer gpu = new CudaTransformer(ctx, w, 512 + 128 + 8, 512)) {
            prefix(gpu, c, 512);
            for (int n : new int[]{1, 16, 64, 128}) seconds.put(Integer.toString(n), medianForward(gpu, c, n, 5));
        }
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
             CudaWeights w = CudaWeights.synthetic(ctx, c, format, plan, 4, SyntheticLayers.randomLayer(format), SyntheticLayers.tables(arena, c));
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
             LayerDequantizer d = new LayerDequantizer(ctx, w.format(), w.fp16Offsets());
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
}
