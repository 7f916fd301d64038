package dev.sequoia.engine.bench.device;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.cuda.CudaContext;
import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.Generation;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.backend.cuda.BackendChoice;
import dev.sequoia.engine.backend.cuda.CudaKvCache;
import dev.sequoia.engine.backend.cuda.CudaTransformer;
import dev.sequoia.engine.backend.cuda.CudaWeights;
import dev.sequoia.engine.backend.cuda.Fp16Layers;
import dev.sequoia.engine.backend.cuda.LayerFormat;
import dev.sequoia.engine.backend.cuda.TreeAttentionKernel;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.synthetic.ShapePresets;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.Model;
import dev.sequoia.offload.device.StreamPlan;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.sequoia.engine.bench.device.DeviceForwards.withLayers;

/**
 * The GPU check's "shared_pass" section (issue 18): one CUDA pass for several sessions.
 * <ul>
 *   <li>{@code logits}: four sequences of the golden model (prompts 5, 12, 1, 30 tokens fed ahead of mixed
 *       trees, earlier pending rows, random kept paths) in one pass against each alone on the GPU and on the CPU,
 *       resident and streamed ({@link SharedPasses});
 *   <li>{@code engine}: the golden pair through the engine on CUDA (tree 4x3, greedy, 64 tokens): 1, 2, 4 and 8
 *       concurrent sessions, each one's tokens against the same prompt alone, aggregate tokens/s, tokens per step;
 *   <li>{@code streamed_pass}: a Llama-2-7B-shaped synthetic target streamed under 2 GiB: one shared forward of
 *       k sessions' 64-node trees (after 128-token prompts) against k forwards alone, k = 1, 2, 4, 8.
 * </ul>
 */
final class SharedPassCheck {
    private SharedPassCheck() {}

    private static final long GIB = 1L << 30;
    private static final String[] PROMPTS = {"Once upon a time", "The little dog", "Lily and Tom went to the park",
            "One day", "She said", "It was a sunny day and the birds", "Tom had a red ball", "The cat"};

    static void run(CudaContext ctx, Path models, ObjectNode out) throws Exception {
        GpuCheck.section(out, "logits", () -> logits(ctx, models, out.putObject("logits")));
        GpuCheck.section(out, "engine", () -> engine(models, out.putObject("engine")));
        GpuCheck.section(out, "streamed_pass", () -> streamedPass(ctx, out.putObject("streamed_pass")));
    }

    private static void logits(CudaContext ctx, Path models, ObjectNode out) {
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(models.resolve("stories260K.bin"), models.resolve("tok512.bin"), arena);
            long layer = Fp16Layers.Offsets.of(m.config().dim(), m.config().kvDim(), m.config().hiddenDim()).total();
            long[] sizes = new long[m.config().layers()];
            Arrays.fill(sizes, layer);
            for (StreamPlan plan : List.of(StreamPlan.fit(sizes, Long.MAX_VALUE, 2), StreamPlan.fit(sizes, 3 * layer, 2))) {
                String name = plan.streamedLayers().isEmpty() ? "resident" : "streamed";
                SharedPasses.Comparison c = SharedPasses.mixedPasses(ctx, m, plan, TreeAttentionKernel.NAIVE,
                        new int[]{5, 12, 1, 30}, 6, 8, 18);
                ObjectNode r = out.putObject(name);
                r.put("forwards", c.forwards());
                r.put("logit_rows", c.rows());
                r.put("max_relative_diff_shared_vs_alone", c.sharedVsAlone());
                r.put("max_relative_diff_shared_vs_cpu", c.sharedVsCpu());
                r.put("argmax_equal", c.argmaxEqual());
                r.put("pass", c.within(1e-2));
                if (!c.within(1e-2)) GpuCheck.fail("shared pass logits (" + name + "): " + c);
            }
        }
    }

    private static void engine(Path models, ObjectNode out) throws Exception {
        ModelSpec target = new ModelSpec(models.resolve("stories260K.bin"), models.resolve("tok512.bin"));
        ModelSpec draft = new ModelSpec(models.resolve("draft-stories260K-d32.bin"), models.resolve("tok512.bin"));
        int tokens = 64;
        try (Engine e = Engine.open(EngineConfig.builder(target).draft(draft).tree("4x3").threads(2)
                .backend(BackendChoice.CUDA).build())) {
            List<int[]> alone = new ArrayList<>();
            for (String p : PROMPTS) {
                try (Session s = e.openSession()) {
                    alone.add(s.generate(GenerateRequest.greedy(p, tokens)).tokens());
                }
            }
            ArrayNode rows = out.putArray("sessions");
            double single = 0;
            boolean identical = true;
            for (int k : new int[]{1, 2, 4, 8}) {
                List<Session> sessions = new ArrayList<>();
                List<Generation> running = new ArrayList<>();
                long t0 = System.nanoTime(), forwardsBefore = e.cudaSharedTargetForwards();
                int total = 0, shared = 0;
                double perStep = 0;
                try {
                    for (int i = 0; i < k; i++) {
                        Session s = e.openSession();
                        sessions.add(s);
                        running.add(s.generate(GenerateRequest.greedy(PROMPTS[i], tokens), null));
                    }
                    for (int i = 0; i < k; i++) {
                        GenerationResult r = running.get(i).await();
                        identical &= Arrays.equals(alone.get(i), r.tokens());
                        total += r.tokens().length;
                        shared += r.stats().sharedSteps();
                        perStep += r.stats().tokensPerStep() / k;
                    }
                } finally {
                    sessions.forEach(Session::close);
                }
                double seconds = (System.nanoTime() - t0) / 1e9, rate = total / seconds;
                if (k == 1) single = rate;
                ObjectNode row = rows.addObject();
                row.put("sessions", k);
                row.put("aggregate_tokens_per_second", rate);
                row.put("vs_one_session", rate / single);
                row.put("mean_tokens_per_step", perStep);
                row.put("shared_steps", shared);
                long together = e.cudaSharedTargetForwards() - forwardsBefore;
                row.put("target_forwards_of_several_sessions", together);
                if (k > 1 && together == 0) GpuCheck.fail(k + " CUDA sessions never shared a target forward");
            }
            out.put("greedy_identical_to_alone", identical);
            if (!identical) GpuCheck.fail("shared CUDA passes changed a session's greedy tokens");
        }
    }

    private static void streamedPass(CudaContext ctx, ObjectNode out) {
        LlamaConfig c = withLayers(ShapePresets.load("llama2-7b"), 32);
        StreamPlan plan = StreamPlan.fit(CudaWeights.layerBytes(c, LayerFormat.F16), 2 * GIB, 3);
        out.put("shape", "llama2-7b");
        out.put("budget_bytes", 2 * GIB);
        out.put("streamed_layers", plan.streamedLayers().size());
        int prefix = 128, tree = 64;
        try (Arena arena = Arena.ofConfined();
             CudaWeights w = CudaWeights.synthetic(ctx, c, LayerFormat.F16, plan, 4, SyntheticLayers.randomLayer(LayerFormat.F16),
                     SyntheticLayers.tables(arena, c));
             CudaTransformer gpu = new CudaTransformer(ctx, w, 0, 64)) {
            List<CudaKvCache> caches = new ArrayList<>();
            try {
                SplittableRandom r = new SplittableRandom(18);
                for (int i = 0; i < 8; i++) {
                    CudaKvCache cache = gpu.newCache(prefix + tree + 8);
                    caches.add(cache);
                    int[] chain = new int[prefix], path = new int[prefix];
                    for (int j = 0; j < prefix; j++) {
                        chain[j] = j - 1;
                        path[j] = j;
                    }
                    gpu.forward(List.of(new CudaTransformer.Part(cache, r.ints(prefix, 0, c.vocabSize()).toArray(), chain, prefix)));
                    gpu.keep(cache, path);
                }
                ArrayNode rows = out.putArray("passes");
                double one = 0;
                for (int k : new int[]{1, 2, 4, 8}) {
                    List<CudaTransformer.Part> parts = new ArrayList<>();
                    for (int i = 0; i < k; i++) {
                        int[] parents = new int[tree];
                        for (int j = 0; j < tree; j++) parents[j] = j == 0 ? -1 : r.nextInt(j);
                        parts.add(new CudaTransformer.Part(caches.get(i), r.ints(tree, 0, c.vocabSize()).toArray(), parents, 0));
                    }
                    double[] t = new double[4];
                    for (int rep = 0; rep < t.length; rep++) { // the first is a warm-up
                        long t0 = System.nanoTime();
                        gpu.forward(parts);
                        t[rep] = (System.nanoTime() - t0) / 1e9;
                        for (CudaTransformer.Part p : parts) gpu.keep(p.cache(), new int[0]);
                    }
                    double[] timed = Arrays.copyOfRange(t, 1, t.length);
                    Arrays.sort(timed);
                    double seconds = timed[timed.length / 2];
                    if (k == 1) one = seconds;
                    ObjectNode row = rows.addObject();
                    row.put("sessions", k);
                    row.put("rows", k * tree);
                    row.put("shared_pass_seconds", seconds);
                    row.put("alone_passes_seconds_estimated", k * one); // k times the measured one-session pass
                    row.put("speedup_vs_alone", k * one / seconds);
                    row.put("stall_fraction", gpu.lastPassTiming().stallFraction());
                }
            } finally {
                caches.forEach(CudaKvCache::close);
            }
        }
    }
}
