package dev.sequoia.engine.bench.device;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.cuda.CudaContext;
import dev.sequoia.engine.backend.cuda.CudaTransformer;
import dev.sequoia.engine.backend.cuda.CudaWeights;
import dev.sequoia.engine.backend.cuda.Fp16Layers;
import dev.sequoia.engine.backend.cuda.LayerFormat;
import dev.sequoia.engine.backend.cuda.TreeAttentionKernel;
import dev.sequoia.engine.format.synthetic.ShapePresets;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.offload.device.StreamPlan;

import java.lang.foreign.Arena;
import java.util.Arrays;

import static dev.sequoia.engine.bench.device.DeviceForwards.medianForward;
import static dev.sequoia.engine.bench.device.DeviceForwards.prefix;
import static dev.sequoia.engine.bench.device.DeviceForwards.withLayers;

/** The GPU check's "attention_kernels" section. */
final class AttentionKernels {
    private AttentionKernels() {}

    /**
     * Both tree-attention kernels on a 2-layer Llama-2-70B-shaped resident model after a 512-token prefix:
     * forward seconds by n, so the difference between the columns is the attention's (2 layers' worth).
     */
    static void measure(CudaContext ctx, ObjectNode out) {
        LlamaConfig c = withLayers(ShapePresets.load("llama2-70b"), 2);
        Fp16Layers.Offsets at = Fp16Layers.Offsets.of(c.dim(), c.kvDim(), c.hiddenDim());
        long[] sizes = new long[c.layers()];
        Arrays.fill(sizes, at.total());
        try (Arena arena = Arena.ofConfined();
             CudaWeights w = CudaWeights.synthetic(ctx, c, LayerFormat.F16, StreamPlan.fit(sizes, Long.MAX_VALUE, 2), 1,
                     SyntheticLayers::randomFp16, SyntheticLayers.tables(arena, c))) {
            for (TreeAttentionKernel kernel : TreeAttentionKernel.values()) {
                ObjectNode row = out.putObject(kernel.symbol());
                try (CudaTransformer gpu = new CudaTransformer(ctx, w, 512 + 2048 + 8, 2048, kernel)) {
                    prefix(gpu, c, 512);
                    for (int n : new int[]{1, 8, 64, 512, 2048}) row.put(Integer.toString(n), medianForward(gpu, c, n, 3));
                }
            }
        }
    }
}
