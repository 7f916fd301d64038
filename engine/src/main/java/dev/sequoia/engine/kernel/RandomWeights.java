package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Seeded random weight matrices of any storage type in native memory owned by the caller's arena, for kernel
 * tests and kernel benchmarks. Values are roughly uniform in [-1, 1] (quantized types: scales in
 * [0.004, 0.03) times random quants), always finite.
 */
public final class RandomWeights {
    private RandomWeights() {}

    /** A (rows, cols) matrix of {@code type} named {@code name}, filled from {@code seed}. */
    public static WeightMatrix create(Arena arena, String name, TensorType type, int rows, int cols, long seed) {
        long rowBytes = type.byteSize(cols);
        MemorySegment seg = arena.allocate(rowBytes * rows, 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteBuffer row = ByteBuffer.allocate(Math.toIntExact(rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) {
            row.clear();
            fillRow(row, type, cols, rnd);
            MemorySegment.copy(MemorySegment.ofArray(row.array()), 0, seg, r * rowBytes, rowBytes);
        }
        return new WeightMatrix(name, type, rows, cols, seg);
    }

    private static void fillRow(ByteBuffer row, TensorType type, int cols, SplittableRandom rnd) {
        switch (type) {
            case F32 -> { for (int c = 0; c < cols; c++) row.putFloat(uniform(rnd)); }
            case F16 -> { for (int c = 0; c < cols; c++) row.putShort(Float.floatToFloat16(uniform(rnd))); }
            case BF16 -> { for (int c = 0; c < cols; c++) row.putShort((short) (Float.floatToRawIntBits(uniform(rnd)) >>> 16)); }
            case Q8_0, Q4_0 -> {
                int quantBytes = type.bytesPerBlock() - 2;
                byte[] quants = new byte[quantBytes];
                for (int b = 0; b < cols / 32; b++) {
                    row.putShort(Float.floatToFloat16(0.004f + 0.026f * rnd.nextFloat()));
                    rnd.nextBytes(quants);
                    row.put(quants);
                }
            }
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> {
                // random quants and sub-block scales; the fp16 super-block scales small and positive
                byte[] block = new byte[type.bytesPerBlock()];
                for (int b = 0; b < cols / 256; b++) {
                    rnd.nextBytes(block);
                    ByteBuffer bb = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
                    for (int at : superScaleOffsets(type)) bb.putShort(at, Float.floatToFloat16(0.0002f + 0.002f * rnd.nextFloat()));
                    row.put(block);
                }
            }
        }
    }

    /** Byte offsets of a K-quant block's fp16 scales (d, and dmin where the type has mins). */
    private static int[] superScaleOffsets(TensorType type) {
        return switch (type) {
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(type + " is not a K-quant type");
        };
    }

    private static float uniform(SplittableRandom rnd) {
        return (float) (rnd.nextDouble() * 2 - 1);
    }

    /** n x cols activations uniform in [-1, 1]. */
    public static float[] activations(int n, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) x[i] = uniform(rnd);
        return x;
    }
}
