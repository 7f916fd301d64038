package dev.sequoia.engine.bench.device;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.cuda.CudaContext;
import dev.sequoia.engine.backend.cuda.CudaTransformer;
import dev.sequoia.engine.backend.cuda.CudaWeights;
import dev.sequoia.engine.backend.cuda.Fp16Layers;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.sampling.Sampler;
import dev.sequoia.offload.device.StreamPlan;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The GPU check's "golden_logits" section: the CUDA transformer's logits against the CPU's, resident and streamed. */
final class GoldenLogits {
    private GoldenLogits() {}

    /** CUDA vs CPU logits on the golden prompts' tokens of stories260K, resident and streamed. */
    static void compare(CudaContext ctx, Path models, ObjectNode out) throws Exception {
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
                argmaxEqual &= Sampler.argmax(want[t]) == Sampler.argmax(got[t]);
            }
            r.put("max_relative_diff", worst);
            r.put("argmax_equal", argmaxEqual);
            boolean pass = worst <= 1e-2 && argmaxEqual; // NaN-safe: a NaN difference is not <= the tolerance
            r.put("pass", pass);
            if (!pass) GpuCheck.fail("CUDA vs CPU logits on " + tokens.length + " tokens, " + plan.streamedLayers().size()
                    + " streamed layers: max relative diff " + worst + ", argmax equal " + argmaxEqual);
        }
    }
}
