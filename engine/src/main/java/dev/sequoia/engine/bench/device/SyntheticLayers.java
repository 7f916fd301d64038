package dev.sequoia.engine.bench.device;

import dev.sequoia.engine.backend.cuda.Fp16Layers;
import dev.sequoia.engine.backend.cuda.LayerFormat;
import dev.sequoia.engine.kernel.RandomWeights;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;

/**
 * Seeded random layer images and tables for synthetic CUDA models (the GPU check's 70B and 7B shapes, and the
 * CUDA backend's tests): small weights, so activations stay finite through many layers.
 */
public final class SyntheticLayers {
    private SyntheticLayers() {}

    /**
     * Small random fp16 weights (|w| < 0.02) so activations stay finite through many layers: a seeded 4 MiB
     * pattern tiled over the image (filling 1.7 GB element by element would dominate the check's time).
     */
    static void randomFp16(int layer, MemorySegment dst) {
        SplittableRandom r = new SplittableRandom(1000 + layer);
        long pattern = Math.min(dst.byteSize(), 4L << 20);
        for (long i = 0; i < pattern / 2; i++) dst.set(Fp16Layers.F16, 2 * i, Float.floatToFloat16((float) r.nextDouble(-0.02, 0.02)));
        for (long off = pattern; off < dst.byteSize(); off += pattern) {
            MemorySegment.copy(dst, 0, dst, off, Math.min(pattern, dst.byteSize() - off));
        }
    }

    /** The synthetic layer writer for {@code format}. */
    public static BiConsumer<Integer, MemorySegment> randomLayer(LayerFormat format) {
        return switch (format) {
            case F16 -> SyntheticLayers::randomFp16;
            case Q8_0, Q4_0 -> (layer, dst) -> randomBlocks(format, layer, dst);
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> (layer, dst) -> randomKQuantBlocks(format, layer, dst);
            case K_MIXED -> throw new IllegalArgumentException("K_MIXED images come from a model (KQuantLayout), not random blocks");
        };
    }

    /**
     * K-quant blocks of seeded uniform weights (|w| <= 0.02, as {@link #randomFp16}) encoded by the engine's
     * quantizer, so every scale is sane: a pattern of whole blocks (about 4 MiB) tiled over the image.
     */
    public static void randomKQuantBlocks(LayerFormat format, int layer, MemorySegment dst) {
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
    static LlamaWeights tables(Arena arena, LlamaConfig c) {
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
