package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.bench.device.SyntheticLayers;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU side of quantized layer images: offsets and sizes, verbatim blocks, format choice, synthetic blocks. */
class QuantLayersTest {
    /** Head size 32, kv heads 2: kvDim 64; hidden 256. */
    static final LlamaConfig SMALL = new LlamaConfig(128, 256, 3, 4, 2, 320, 256, 1e-5f, 10000f, 32,
            RopeLayout.INTERLEAVED, null);

    @TempDir
    Path dir;

    @Test
    void quantizedOffsetsPackTheProjectionsBlockByBlock() {
        int dim = 128, kv = 64, hidden = 256;
        Fp16Layers.Offsets q8 = LayerFormat.Q8_0.offsets(SMALL);
        long b = 34; // bytes per 32 weights
        assertEquals(new Fp16Layers.Offsets(0, dim * dim / 32 * b, (dim * dim + kv * dim) / 32 * b,
                (dim * dim + 2 * kv * dim) / 32 * b, (2 * dim * dim + 2 * kv * dim) / 32 * b,
                (2 * dim * dim + 2 * kv * dim + hidden * dim) / 32 * b,
                (2 * dim * dim + 2 * kv * dim + 2 * hidden * dim) / 32 * b,
                (2 * dim * dim + 2 * kv * dim + 3 * hidden * dim) / 32 * b), q8);
        Fp16Layers.Offsets f16 = LayerFormat.F16.offsets(SMALL);
        assertEquals(Fp16Layers.Offsets.of(dim, kv, hidden), f16);
        // block i of a quantized image is fp16 elements 32i..32i+31: every offset maps by the same ratio
        for (LayerFormat f : List.of(LayerFormat.Q8_0, LayerFormat.Q4_0)) {
            Fp16Layers.Offsets o = f.offsets(SMALL);
            long per = f.type().bytesPerBlock();
            long[] quant = {o.q(), o.k(), o.v(), o.o(), o.gate(), o.down(), o.up(), o.total()};
            long[] half = {f16.q(), f16.k(), f16.v(), f16.o(), f16.gate(), f16.down(), f16.up(), f16.total()};
            for (int i = 0; i < quant.length; i++) assertEquals(half[i] / 2 / 32 * per, quant[i], f + " offset " + i);
        }
        assertArrayEquals(new long[]{q8.total(), q8.total(), q8.total()}, CudaWeights.layerBytes(SMALL, LayerFormat.Q8_0));
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"Q8_0", "Q4_0"})
    void hostImageIsTheFilesBlocksVerbatim(TensorType type) throws IOException {
        Path file = dir.resolve("small-" + type + ".gguf");
        new SyntheticModels(SMALL, type, 5).writeGguf(file);
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(file, null, arena);
            LayerFormat format = LayerFormat.of(m.weights());
            assertEquals(LayerFormat.valueOf(type.name()), format);
            Fp16Layers.Offsets at = format.offsets(m.config());
            MemorySegment image = arena.allocate(at.total());
            for (int l = 0; l < m.config().layers(); l++) {
                LayerWeights lw = m.weights().layers().get(l);
                QuantLayers.write(lw, format, at, image);
                List<WeightMatrix> p = LayerFormat.projections(lw);
                long[] starts = {at.q(), at.k(), at.v(), at.o(), at.gate(), at.down(), at.up(), at.total()};
                for (int i = 0; i < p.size(); i++) {
                    MemorySegment slice = image.asSlice(starts[i], starts[i + 1] - starts[i]);
                    assertEquals(-1, slice.mismatch(p.get(i).data()), "layer " + l + " " + p.get(i).name());
                }
            }
        }
    }

    @Test
    void anFp16ModelIsNotQuantizedAndCannotFillAQuantizedImage() throws IOException {
        Path file = dir.resolve("small-f16.gguf");
        new SyntheticModels(SMALL, TensorType.F16, 5).writeGguf(file);
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(file, null, arena);
            assertEquals(LayerFormat.F16, LayerFormat.of(m.weights()));
            Fp16Layers.Offsets at = LayerFormat.Q8_0.offsets(m.config());
            var e = assertThrows(IllegalArgumentException.class,
                    () -> QuantLayers.write(m.weights().layers().get(0), LayerFormat.Q8_0, at, arena.allocate(at.total())));
            assertTrue(e.getMessage().contains("F16") && e.getMessage().contains("Q8_0"), e.getMessage());
        }
    }

    /** The GPU check's synthetic blocks decode (through the reference dequantizer) to small, nonzero weights. */
    @ParameterizedTest
    @EnumSource(value = LayerFormat.class, names = {"Q8_0", "Q4_0"})
    void syntheticBlocksAreSmallAndFinite(LayerFormat format) {
        Fp16Layers.Offsets at = format.offsets(SMALL);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment image = arena.allocate(at.total());
            SyntheticLayers.randomLayer(format).accept(0, image);
            int cols = 128;
            long rows = at.total() / format.type().byteSize(cols);
            WeightMatrix all = new WeightMatrix("image", format.type(), (int) rows, cols, image);
            float[] row = new float[cols];
            double maxAbs = 0, sumAbs = 0;
            ScalarMatMul deq = new ScalarMatMul();
            for (int r = 0; r < rows; r++) {
                deq.dequantizeRow(all, r, row, 0);
                for (float v : row) {
                    assertTrue(Float.isFinite(v));
                    maxAbs = Math.max(maxAbs, Math.abs(v));
                    sumAbs += Math.abs(v);
                }
            }
            assertTrue(maxAbs <= 0.02 * 1.001, "largest |w| " + maxAbs);
            assertTrue(sumAbs / (rows * cols) > 1e-3, "mean |w| " + sumAbs / (rows * cols));
        }
    }

    /** K-quant images: every offset is the fp16 one scaled by bytes per 256 values; blocks never straddle projections. */
    @ParameterizedTest
    @EnumSource(value = LayerFormat.class, names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void kQuantOffsetsScaleTheFp16OnesBlockByBlock(LayerFormat format) {
        Fp16Layers.Offsets o = format.offsets(CudaQuantizedTest.KQUANT_TINY), f16 = LayerFormat.F16.offsets(CudaQuantizedTest.KQUANT_TINY);
        long per = format.type().bytesPerBlock();
        long[] quant = {o.q(), o.k(), o.v(), o.o(), o.gate(), o.down(), o.up(), o.total()};
        long[] half = {f16.q(), f16.k(), f16.v(), f16.o(), f16.gate(), f16.down(), f16.up(), f16.total()};
        for (int i = 0; i < quant.length; i++) {
            assertEquals(0, half[i] / 2 % 256, "fp16 offset " + i + " is whole super-blocks");
            assertEquals(half[i] / 2 / 256 * per, quant[i], format + " offset " + i);
        }
        assertEquals("dequant_" + format.name().toLowerCase().replace("_k", "_K") + "_f16", format.dequantKernel());
    }

    /** The device kernels of every K format are in the fatbin (when this build had nvcc). */
    @Test
    void kQuantKernelsAreInTheFatbin() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.sequoia.cuda.SequoiaKernels.isBundled(), "no nvcc at build time");
        String bytes = new String(dev.sequoia.cuda.SequoiaKernels.fatbin(), java.nio.charset.StandardCharsets.ISO_8859_1);
        for (LayerFormat f : LayerFormat.values()) {
            if (f.isQuantized() && f != LayerFormat.K_MIXED) {
                assertTrue(bytes.contains(f.dequantKernel() + "\0"), f.dequantKernel() + " missing");
            }
        }
    }

    /**
     * llama.cpp's Q6_K file is one K format and its images are its blocks verbatim; its Q4_K_M file mixes Q4_K
     * and Q6_K projections: a K_MIXED image (see {@link #mixedKQuantImagesHoldEachProjectionVerbatim}).
     */
    @Test
    void llamaCppKQuantFilesChooseTheirFormat() {
        try (Arena arena = Arena.ofConfined()) {
            Model q6 = ModelLoader.load(dev.sequoia.engine.testing.Fixtures.fixture("llamacpp/kquant-tiny-s11-Q6_K.gguf"), null, arena);
            assertEquals(LayerFormat.Q6_K, LayerFormat.of(q6.weights()));
            Fp16Layers.Offsets at = LayerFormat.Q6_K.offsets(q6.config());
            MemorySegment image = arena.allocate(at.total());
            for (LayerWeights lw : q6.weights().layers()) {
                QuantLayers.write(lw, LayerFormat.Q6_K, at, image);
                List<WeightMatrix> p = LayerFormat.projections(lw);
                long[] starts = {at.q(), at.k(), at.v(), at.o(), at.gate(), at.down(), at.up(), at.total()};
                for (int i = 0; i < p.size(); i++) {
                    assertEquals(-1, image.asSlice(starts[i], starts[i + 1] - starts[i]).mismatch(p.get(i).data()), p.get(i).name());
                }
            }
            Model q4km = ModelLoader.load(dev.sequoia.engine.testing.Fixtures.fixture("llamacpp/kquant-tiny-s11-Q4_K_M.gguf"), null, arena);
            assertEquals(LayerFormat.K_MIXED, LayerFormat.of(q4km.weights()));
            Model q80 = ModelLoader.load(dev.sequoia.engine.testing.Fixtures.fixture("llamacpp/kquant-tiny-s11-Q4_0.gguf"), null, arena);
            assertEquals(LayerFormat.Q4_0, LayerFormat.of(q80.weights()), "Q4_0 projections (the Q6_K output is not a projection)");
        }
    }

    /**
     * The K_MIXED image of llama.cpp's Q4_K_M and Q3_K_M files: each projection's region is sized for its largest
     * type over the layers (Q6_K for v and down in Q4_K_M), the same for every layer, and holds that layer's
     * blocks verbatim at its start; the per-layer types are the file's.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"Q4_K_M", "Q3_K_M", "Q2_K", "Q5_K_M"})
    void mixedKQuantImagesHoldEachProjectionVerbatim(String label) {
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(dev.sequoia.engine.testing.Fixtures.fixture("llamacpp/kquant-tiny-s11-" + label + ".gguf"), null, arena);
            assertEquals(LayerFormat.K_MIXED, LayerFormat.of(m.weights()));
            KQuantLayout layout = KQuantLayout.of(m.weights());
            Fp16Layers.Offsets at = layout.offsets(m.config());
            long[] elements = KQuantLayout.elements(m.config());
            long[] starts = {at.q(), at.k(), at.v(), at.o(), at.gate(), at.down(), at.up(), at.total()};
            MemorySegment image = arena.allocate(at.total());
            for (int l = 0; l < m.config().layers(); l++) {
                LayerWeights lw = m.weights().layers().get(l);
                layout.write(l, lw, at, image);
                List<WeightMatrix> p = LayerFormat.projections(lw);
                for (int i = 0; i < p.size(); i++) {
                    WeightMatrix w = p.get(i);
                    assertEquals(w.type(), layout.types()[l][i], w.name());
                    assertTrue(w.type().bytesPerBlock() <= layout.slotTypes()[i].bytesPerBlock(), w.name());
                    assertEquals(layout.slotTypes()[i].byteSize(elements[i]), starts[i + 1] - starts[i], "region " + i);
                    assertEquals(-1, image.asSlice(starts[i], w.byteSize()).mismatch(w.data()), w.name());
                }
            }
            if (label.equals("Q4_K_M")) {
                assertEquals(TensorType.Q6_K, layout.slotTypes()[2], "attn_v region");
                assertEquals(TensorType.Q6_K, layout.slotTypes()[5], "ffn_down region");
                assertEquals(TensorType.Q4_K, layout.slotTypes()[0], "attn_q region");
            }
            long[] bytes = CudaWeights.layerBytes(m.config(), m.weights(), LayerFormat.K_MIXED);
            assertArrayEquals(new long[]{at.total(), at.total()}, bytes);
            assertThrows(IllegalStateException.class, () -> LayerFormat.K_MIXED.offsets(m.config()));
        }
    }

    /** The GPU check's K-quant blocks decode to small, nonzero, finite weights. */
    @ParameterizedTest
    @EnumSource(value = LayerFormat.class, names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void syntheticKQuantBlocksAreSmallAndFinite(LayerFormat format) {
        Fp16Layers.Offsets at = format.offsets(SMALL);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment image = arena.allocate(at.total());
            SyntheticLayers.randomLayer(format).accept(0, image);
            long rows = at.total() / format.type().byteSize(256);
            WeightMatrix all = new WeightMatrix("image", format.type(), (int) rows, 256, image);
            float[] row = new float[256];
            double maxAbs = 0, sumAbs = 0;
            for (int r = 0; r < rows; r++) {
                new ScalarMatMul().dequantizeRow(all, r, row, 0);
                for (float v : row) {
                    assertTrue(Float.isFinite(v));
                    maxAbs = Math.max(maxAbs, Math.abs(v));
                    sumAbs += Math.abs(v);
                }
            }
            assertTrue(maxAbs <= 0.03, "largest |w| " + maxAbs);
            assertTrue(sumAbs / (rows * 256) > 1e-3, "mean |w| " + sumAbs / (rows * 256));
        }
    }
}
