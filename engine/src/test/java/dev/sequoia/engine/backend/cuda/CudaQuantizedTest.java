package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.CudaModule;
import dev.sequoia.cuda.CudaStream;
import dev.sequoia.cuda.DeviceBuffer;
import dev.sequoia.cuda.PinnedHostBuffer;
import dev.sequoia.cuda.SequoiaKernels;
import dev.sequoia.engine.bench.device.SyntheticLayers;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kv.KvCache;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.offload.device.StreamPlan;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quantized layer images on the GPU: the device dequantization is bit-exact against the host's fp16 image
 * (its scalar twin: the reference dequantizer, rounded to fp16), and a Q8_0 / Q4_0 model's CUDA forward
 * matches the CPU backend (ScalarMatMul on the same file) on a chain, a tree and after keeps, resident and
 * with layers streamed, and matches the same model forced to fp16 images. Skipped without a GPU (fails under
 * SEQUOIA_REQUIRE_CUDA=1).
 */
class CudaQuantizedTest {
    /** Head size 32 (G = 2) with 4 layers; head size 64 is covered by the fp16 tests' kernel choice. */
    private static final LlamaConfig CONFIG = new LlamaConfig(128, 256, 4, 4, 2, 320, 256, 1e-5f, 10000f, 32,
            RopeLayout.INTERLEAVED, null);

    @TempDir
    Path dir;

    private Path model(TensorType type) throws IOException {
        Path file = dir.resolve("quantized-" + type + ".gguf");
        new SyntheticModels(CONFIG, type, 17).writeGguf(file);
        return file;
    }

    @ParameterizedTest
    @EnumSource(value = LayerFormat.class, names = {"Q8_0", "Q4_0"})
    void deviceDequantizationEqualsTheHostFp16ImageBitForBit(LayerFormat format) throws IOException {
        CudaTestSupport.requireCudaBackend();
        try (Arena arena = Arena.ofConfined(); CudaContext ctx = CudaContext.open(0)) {
            Model m = ModelLoader.load(model(format.type()), null, arena);
            Fp16Layers.Offsets quant = format.offsets(m.config()), half = LayerFormat.F16.offsets(m.config());
            MemorySegment want = arena.allocate(half.total()), got = arena.allocate(half.total());
            try (CudaModule module = SequoiaKernels.load(ctx); CudaStream stream = ctx.createStream();
                 PinnedHostBuffer pinned = ctx.allocatePinned(quant.total());
                 DeviceBuffer device = ctx.allocate(quant.total());
                 LayerDequantizer dequantizer = new LayerDequantizer(ctx, format, half)) {
                for (int l = 0; l < m.config().layers(); l++) {
                    MemorySegment image = pinned.segment();
                    QuantLayers.write(m.weights().layers().get(l), format, quant, image);
                    Fp16Layers.write(m.weights().layers().get(l), half, want);
                    device.copyFromAsync(image.asSlice(0, quant.total()), 0, stream);
                    long scratch = dequantizer.toFp16(module, stream, device.address());
                    stream.synchronize();
                    assertEquals(half.total(), dequantizer.scratchBytes());
                    assertEquals(scratch, dequantizer.scratchAddress());
                    dequantizer.readScratch(got);
                    assertEquals(-1, got.mismatch(want), format + " layer " + l + ": first differing byte");
                }
            }
        }
    }

    /** streamedLayers: 0 (all resident) or 3 (two slots and one resident layer in a budget of three images). */
    @ParameterizedTest(name = "{0}, {1} streamed")
    @CsvSource({"Q8_0, 0", "Q8_0, 3", "Q4_0, 0", "Q4_0, 3"})
    void quantizedForwardMatchesTheCpuBackend(TensorType type, int streamedLayers) throws IOException {
        CudaTestSupport.requireCudaBackend();
        try (Arena arena = Arena.ofConfined(); CudaContext ctx = CudaContext.open(0)) {
            Model m = ModelLoader.load(model(type), null, arena);
            LayerFormat format = LayerFormat.of(m.weights());
            assertEquals(type, format.type());
            long[] bytes = CudaWeights.layerBytes(m.config(), format);
            StreamPlan plan = StreamPlan.fit(bytes, streamedLayers == 0 ? Long.MAX_VALUE : 3 * bytes[0], 2);
            assertEquals(streamedLayers, plan.streamedLayers().size());
            LlamaTransformer cpu = new LlamaTransformer(m, new ScalarMatMul());
            KvCache cache = cpu.newCache(128);
            try (CudaWeights w = CudaWeights.fromModel(ctx, m.config(), m.weights(), plan);
                 CudaTransformer gpu = new CudaTransformer(ctx, w, 128, 48)) {
                assertEquals(format, w.format);
                Step[] steps = steps();
                for (Step s : steps) {
                    if (s.keep() != null) {
                        cache.keep(s.keep());
                        gpu.keep(s.keep());
                    } else {
                        CudaTransformerTest.assertClose(cpu.forward(cache, s.tokens(), s.parents()), gpu.forward(s.tokens(), s.parents()));
                    }
                }
            }
        }
    }

    /** The same Q8_0 file through Q8_0 images and forced fp16 images: identical fp16 weights, same logits. */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q8_0", "Q4_0"})
    void quantizedImagesMatchTheFp16Override(TensorType type) throws IOException {
        CudaTestSupport.requireCudaBackend();
        try (Arena arena = Arena.ofConfined(); CudaContext ctx = CudaContext.open(0)) {
            Model m = ModelLoader.load(model(type), null, arena);
            LayerFormat format = LayerFormat.of(m.weights());
            long[] qBytes = CudaWeights.layerBytes(m.config(), format), hBytes = CudaWeights.layerBytes(m.config(), LayerFormat.F16);
            try (CudaWeights wq = CudaWeights.fromModel(ctx, m.config(), m.weights(), StreamPlan.fit(qBytes, 3 * qBytes[0], 2));
                 CudaWeights wh = CudaWeights.fromModel(ctx, m.config(), m.weights(), StreamPlan.fit(hBytes, 3 * hBytes[0], 2), LayerFormat.F16);
                 CudaTransformer q = new CudaTransformer(ctx, wq, 128, 48);
                 CudaTransformer h = new CudaTransformer(ctx, wh, 128, 48)) {
                assertEquals(LayerFormat.F16, wh.format);
                for (Step s : steps()) {
                    if (s.keep() != null) {
                        q.keep(s.keep());
                        h.keep(s.keep());
                        continue;
                    }
                    float[][] a = q.forward(s.tokens(), s.parents()), b = h.forward(s.tokens(), s.parents());
                    for (int t = 0; t < a.length; t++) {
                        float scale = 1;
                        for (float v : b[t]) scale = Math.max(scale, Math.abs(v));
                        for (int i = 0; i < a[t].length; i++) {
                            assertTrue(Math.abs(a[t][i] - b[t][i]) <= 1e-5 * scale,
                                    "token " + t + " logit " + i + ": " + format + " " + a[t][i] + " fp16 " + b[t][i]);
                        }
                    }
                }
            }
        }
    }

    /** The shape of the llama.cpp K-quant fixtures (every row whole 256-value super-blocks). */
    static final LlamaConfig KQUANT_TINY = new LlamaConfig(256, 768, 2, 4, 2, 512, 256, 1e-5f, 10000f, 64,
            RopeLayout.INTERLEAVED, null);

    /**
     * K-quant images dequantized on the device equal the host fp16 image (reference decoder, then fp16) bit for
     * bit: images of the engine's own K-quant blocks of every type, layer by layer.
     */
    @ParameterizedTest
    @EnumSource(value = LayerFormat.class, names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void deviceKQuantDequantizationEqualsTheHostFp16ImageBitForBit(LayerFormat format) {
        CudaTestSupport.requireCudaBackend();
        Fp16Layers.Offsets quant = format.offsets(KQUANT_TINY), half = LayerFormat.F16.offsets(KQUANT_TINY);
        try (Arena arena = Arena.ofConfined(); CudaContext ctx = CudaContext.open(0);
             CudaModule module = SequoiaKernels.load(ctx); CudaStream stream = ctx.createStream();
             PinnedHostBuffer pinned = ctx.allocatePinned(quant.total());
             DeviceBuffer device = ctx.allocate(quant.total());
             LayerDequantizer dequantizer = new LayerDequantizer(ctx, format, half)) {
            MemorySegment want = arena.allocate(half.total()), got = arena.allocate(half.total());
            for (int l = 0; l < 2; l++) {
                MemorySegment image = pinned.segment().asSlice(0, quant.total());
                SyntheticLayers.randomKQuantBlocks(format, l, image);
                // the whole image as one matrix of 256-wide rows: blocks back to back, as the kernel sees them
                Fp16Layers.writeMatrix(new dev.sequoia.engine.tensor.WeightMatrix("image", format.type(),
                        (int) (half.total() / 2 / 256), 256, image), want, 0);
                device.copyFromAsync(image, 0, stream);
                dequantizer.toFp16(module, stream, device.address());
                stream.synchronize();
                dequantizer.readScratch(got);
                assertEquals(-1, got.mismatch(want), format + " layer " + l + ": first differing byte");
            }
        }
    }

    /** K_MIXED images of llama.cpp's mixed files, dequantized per projection on the device: the host fp16 image bit for bit. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"Q4_K_M", "Q3_K_M", "Q2_K", "Q5_K_M"})
    void deviceMixedKQuantDequantizationEqualsTheHostFp16ImageBitForBit(String label) {
        CudaTestSupport.requireCudaBackend();
        try (Arena arena = Arena.ofConfined(); CudaContext ctx = CudaContext.open(0)) {
            Model m = ModelLoader.load(dev.sequoia.engine.testing.Fixtures.fixture("llamacpp/kquant-tiny-s11-" + label + ".gguf"), null, arena);
            KQuantLayout layout = KQuantLayout.of(m.weights());
            Fp16Layers.Offsets quant = layout.offsets(m.config()), half = LayerFormat.F16.offsets(m.config());
            MemorySegment want = arena.allocate(half.total()), got = arena.allocate(half.total());
            try (CudaModule module = SequoiaKernels.load(ctx); CudaStream stream = ctx.createStream();
                 PinnedHostBuffer pinned = ctx.allocatePinned(quant.total());
                 DeviceBuffer device = ctx.allocate(quant.total());
                 LayerDequantizer dequantizer = new LayerDequantizer(ctx, LayerFormat.K_MIXED, half, layout, quant)) {
                for (int l = 0; l < m.config().layers(); l++) {
                    MemorySegment image = pinned.segment().asSlice(0, quant.total());
                    layout.write(l, m.weights().layers().get(l), quant, image);
                    Fp16Layers.write(m.weights().layers().get(l), half, want);
                    device.copyFromAsync(image, 0, stream);
                    dequantizer.toFp16(module, stream, device.address(), l);
                    stream.synchronize();
                    dequantizer.readScratch(got);
                    assertEquals(-1, got.mismatch(want), label + " layer " + l + ": first differing byte");
                }
            }
        }
    }

    /**
     * llama.cpp's own K-quant files: Q6_K (one K format) and Q4_K_M / Q3_K_M (K_MIXED: per-projection types)
     * layer images, resident and streamed, give the CPU backend's logits.
     */
    @ParameterizedTest(name = "{0}, {2} streamed")
    @CsvSource({"Q6_K, Q6_K, 0", "Q6_K, Q6_K, 1", "Q4_K_M, K_MIXED, 0", "Q4_K_M, K_MIXED, 1", "Q3_K_M, K_MIXED, 1"})
    void llamaCppKQuantFilesRunOnTheDeviceAsOnTheCpu(String label, LayerFormat expected, int streamedLayers) {
        CudaTestSupport.requireCudaBackend();
        try (Arena arena = Arena.ofConfined(); CudaContext ctx = CudaContext.open(0)) {
            Model m = ModelLoader.load(dev.sequoia.engine.testing.Fixtures.fixture("llamacpp/kquant-tiny-s11-" + label + ".gguf"), null, arena);
            LayerFormat format = LayerFormat.of(m.weights());
            assertEquals(expected, format);
            long[] bytes = CudaWeights.layerBytes(m.config(), m.weights(), format);
            StreamPlan plan = StreamPlan.fit(bytes, streamedLayers == 0 ? Long.MAX_VALUE : 3 * bytes[0], 2);
            LlamaTransformer cpu = new LlamaTransformer(m, new ScalarMatMul());
            KvCache cache = cpu.newCache(128);
            try (CudaWeights w = CudaWeights.fromModel(ctx, m.config(), m.weights(), plan);
                 CudaTransformer gpu = new CudaTransformer(ctx, w, 128, 48)) {
                assertEquals(format, w.format);
                for (Step s : steps()) {
                    if (s.keep() != null) {
                        cache.keep(s.keep());
                        gpu.keep(s.keep());
                    } else {
                        CudaTransformerTest.assertClose(cpu.forward(cache, s.tokens(), s.parents()), gpu.forward(s.tokens(), s.parents()));
                    }
                }
            }
        }
    }

    /** A forward (tokens, parents) or a keep (path). */
    private record Step(int[] tokens, int[] parents, int[] keep) {}

    /** A 40-token prompt chain, keep it, a 24-token tree with three roots, keep a path, a small tree. */
    private static Step[] steps() {
        int[] prompt = new int[40], chain = new int[40], all = new int[40];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 1 + (i * 37) % 300;
            chain[i] = i - 1;
            all[i] = i;
        }
        int[] treeTokens = new int[24], treeParents = new int[24];
        for (int i = 0; i < treeTokens.length; i++) {
            treeTokens[i] = 5 + (i * 53) % 300;
            treeParents[i] = i < 3 ? -1 : (i * 13 + 5) % i;
        }
        return new Step[]{new Step(prompt, chain, null), new Step(null, null, all), new Step(treeTokens, treeParents, null),
                new Step(null, null, new int[]{2, 3}), new Step(new int[]{7, 8, 9}, new int[]{-1, 0, 0}, null)};
    }
}
