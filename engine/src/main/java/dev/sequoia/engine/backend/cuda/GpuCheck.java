package dev.sequoia.engine.backend.cuda;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.cuda.Cuda;
import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.CudaEvent;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The measurements of experiments/device/gpu-check.sh, as one JVM run writing one JSON report: device and
 * driver, pinned vs pageable host-to-device bandwidth, CUDA-vs-CPU logits (golden model, synthetic model),
 * and a streamed benchmark of a 70B-shaped synthetic model larger than the GPU's free memory (achieved PCIe
 * GB/s vs the pinned peak, stall fraction, t(n) up to 2048, AR seconds/token).
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
            section(out, "bandwidth", () -> bandwidth(ctx, out.putObject("bandwidth")));
            section(out, "golden_logits", () -> goldenLogits(ctx, models, out.putObject("golden_logits")));
            section(out, "stream_bench", () -> streamBench(ctx, out, out.putObject("stream_bench")));
        } finally {
            json.writeValue(report.toFile(), out);
            System.out.println(json.writeValueAsString(out));
        }
    }

    interface Section { void run() throws Exception; }

    private static void section(ObjectNode out, String name, Section s) {
        long t0 = System.nanoTime();
        try {
            s.run();
        } catch (Throwable e) {
            out.put(name + "_error", e.toString());
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
            r.put("pass", worst <= 1e-2 && argmaxEqual);
        }
    }

    /**
     * A Llama-2-70B-shaped model with enough layers to exceed free device memory, streamed from pinned host
     * memory (a few distinct pinned layer images reused: the bytes over PCIe are those of distinct layers).
     */
    private static void streamBench(CudaContext ctx, ObjectNode top, ObjectNode out) {
        LlamaConfig shape = ShapePresets.load("llama2-70b");
        Fp16Layers.Offsets at = Fp16Layers.Offsets.of(shape.dim(), shape.kvDim(), shape.hiddenDim());
        long free = ctx.memoryInfo().freeBytes();
        int layers = (int) Math.min(shape.layers(), free / at.total() + 4);
        if ((long) layers * at.total() <= free) layers = (int) (free / at.total()) + 2;
        LlamaConfig c = new LlamaConfig(shape.dim(), shape.hiddenDim(), layers, shape.heads(), shape.kvHeads(),
                shape.vocabSize(), 4096, shape.rmsEps(), shape.ropeTheta(), shape.ropeDim(), shape.ropeLayout(), null);
        long[] sizes = new long[layers];
        Arrays.fill(sizes, at.total());
        long budget = free - (8L << 30); // KV cache, scratch for n = 2048, cuBLAS workspace
        StreamPlan plan = StreamPlan.fit(sizes, budget, 3);
        out.put("layers", layers);
        out.put("layer_bytes", at.total());
        out.put("model_bytes", (long) layers * at.total());
        out.put("free_bytes_before", free);
        out.put("resident_layers", layers - plan.streamedLayers().size());
        out.put("streamed_bytes_per_pass", plan.streamedBytesPerPass());
        try (Arena arena = Arena.ofConfined();
             CudaWeights w = CudaWeights.synthetic(ctx, c, plan, 4, GpuCheck::randomFp16, tables(arena, c));
             CudaTransformer gpu = new CudaTransformer(ctx, w, 2048 + 8, 2048)) {
            ArrayNode tn = out.putArray("t_n");
            double t1 = 0;
            int computeBound = -1;
            SplittableRandom rnd = new SplittableRandom(7);
            for (int n = 1; n <= 2048; n *= 2) {
                int[] tokens = rnd.ints(n, 0, c.vocabSize()).toArray();
                int[] parents = new int[n];
                for (int i = 0; i < n; i++) parents[i] = i - 1;
                gpu.forward(tokens, parents); // warm-up (and the first pass's cold slots)
                gpu.keep(new int[0]);
                long t0 = System.nanoTime();
                int reps = 2;
                for (int i = 0; i < reps; i++) {
                    gpu.forward(tokens, parents);
                    gpu.keep(new int[0]);
                }
                double t = (System.nanoTime() - t0) / 1e9 / reps;
                if (n == 1) t1 = t;
                if (computeBound < 0 && t / t1 > 1.1) computeBound = n;
                ObjectNode row = tn.addObject();
                row.put("n", n);
                row.put("seconds", t);
                row.put("ratio_to_t1", t / t1);
                row.put("achieved_gbps", plan.streamedBytesPerPass() / t / 1e9);
            }
            double peak = top.path("bandwidth").path("pinned_h2d_gbps").asDouble(Double.NaN);
            double achieved = plan.streamedBytesPerPass() / t1 / 1e9;
            out.put("ar_seconds_per_token", t1);
            out.put("achieved_gbps_n1", achieved);
            out.put("fraction_of_pinned_peak", achieved / peak);
            out.put("stall_fraction_n1_estimate", 1 - Math.min(1, (plan.streamedBytesPerPass() / (peak * 1e9)) / t1));
            out.put("first_n_with_ratio_above_1_1", computeBound);
            out.put("target_90pct_of_peak_met", achieved / peak >= 0.9);
        }
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
