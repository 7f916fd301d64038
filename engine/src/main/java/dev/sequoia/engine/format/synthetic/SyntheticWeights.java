package dev.sequoia.engine.format.synthetic;

import dev.sequoia.engine.format.TensorPlan.RowSource;

import java.util.SplittableRandom;

/**
 * Seeded weight rows. Every row of every tensor has its own random stream, derived from the seed, the
 * tensor's canonical (GGUF) name and the row index, so any row can be produced alone and in any order: the
 * safetensors writer reads q/k rows in permuted order and still gets the same values.
 *
 * <p>Values are uniform with the requested standard deviation: projections {@code 1/sqrt(in)} keep
 * activations at unit scale; the embedding and classifier are larger so that logits spread widely
 * (no near-ties between the top tokens); norm weights are near 1.
 */
public final class SyntheticWeights {
    private static final double SQRT3 = Math.sqrt(3);
    private final long seed;

    public SyntheticWeights(long seed) {
        this.seed = seed;
    }

    /** Rows of i.i.d. uniform values with standard deviation {@code std}. */
    public RowSource matrix(String canonicalName, double std) {
        long tensor = canonicalName.hashCode();
        double half = std * SQRT3;
        return (row, out) -> {
            SplittableRandom rnd = stream(tensor, row);
            for (int c = 0; c < out.length; c++) out[c] = (float) ((rnd.nextDouble() * 2 - 1) * half);
        };
    }

    /** A norm weight vector: 1 plus a small seeded perturbation. */
    public RowSource norm(String canonicalName) {
        RowSource noise = matrix(canonicalName, 0.1);
        return (row, out) -> {
            noise.fill(row, out);
            for (int c = 0; c < out.length; c++) out[c] += 1f;
        };
    }

    /**
     * The rows of a q or k projection in Hugging Face's rotary layout. Within each head of {@code headDim}
     * rows, HF row {@code half * headDim/2 + i} is the interleaved row {@code 2i + half}: the pair that
     * rotates together, {@code (2i, 2i+1)}, becomes {@code (i, i + headDim/2)}.
     */
    public static RowSource halvesLayout(RowSource interleaved, int headDim) {
        return (row, out) -> interleaved.fill(interleavedRow(row, headDim), out);
    }

    /** The interleaved-layout row stored at HF row {@code hfRow}. */
    public static int interleavedRow(int hfRow, int headDim) {
        int head = hfRow / headDim, j = hfRow % headDim, halfDim = headDim / 2;
        int half = j / halfDim, i = j % halfDim;
        return head * headDim + 2 * i + half;
    }

    private SplittableRandom stream(long tensor, int row) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + tensor * 0xBF58476D1CE4E5B9L + row);
    }
}
