package dev.sequoia.engine.model;

/**
 * Rotary position embedding for one model: precomputed inverse frequencies (Llama 3 scaling applied) and
 * the pair layout. Pair j (of ropeDim/2) rotates by {@code pos * invFreq[j]}, where
 * {@code invFreq[j] = theta^(-2j/ropeDim)}, scaled by the llama3 rule or divided by the file's per-pair
 * factor ({@code rope_freqs.weight}, as ggml's rope does); in the INTERLEAVED layout pair j is dims (2j, 2j+1) of each head,
 * in the HALVES layout it is dims (j, j + ropeDim/2).
 */
public final class Rope {
    private final int headDim;
    private final int ropeDim;
    private final RopeLayout layout;
    private final double[] invFreq;

    public Rope(LlamaConfig c) {
        this.headDim = c.headDim();
        this.ropeDim = c.ropeDim();
        this.layout = c.ropeLayout();
        this.invFreq = inverseFrequencies(c);
    }

    /** Every pair's inverse frequency with the config's scaling applied (CPU and CUDA share it). */
    public static double[] inverseFrequencies(LlamaConfig c) {
        double[] out = new double[c.ropeDim() / 2];
        float[] factors = c.ropeFreqFactors();
        for (int j = 0; j < out.length; j++) {
            double f = Math.pow(c.ropeTheta(), -2.0 * j / c.ropeDim());
            if (c.ropeScaling() != null) f = c.ropeScaling().scale(f);
            if (factors != null) f /= factors[j];
            out[j] = f;
        }
        return out;
    }

    /** Rotates every head of {@code vec[offset .. offset + heads*headDim)} for position {@code pos}. */
    public void rotate(float[] vec, int offset, int heads, int pos) {
        rotate(vec, offset, heads, angles(new int[] {pos}), 0);
    }

    /**
     * cos and sin of every pair's angle at each of {@code positions}, pair-major per token: a forward computes
     * them once per token for all layers' q and k (the trigonometry per rotation was 2 x 22 x 32 cos/sin pairs
     * per tinyllama decode token). Rotating with them gives the same bits as computing them in place.
     */
    public Angles angles(int[] positions) {
        int half = ropeDim / 2;
        float[] cos = new float[positions.length * half], sin = new float[positions.length * half];
        for (int t = 0; t < positions.length; t++) {
            for (int j = 0; j < half; j++) {
                double angle = positions[t] * invFreq[j];
                cos[t * half + j] = (float) Math.cos(angle);
                sin[t * half + j] = (float) Math.sin(angle);
            }
        }
        return new Angles(cos, sin);
    }

    /** Per token t and pair j, {@code cos[t * ropeDim/2 + j]} and {@code sin[...]} of its rotation angle. */
    public record Angles(float[] cos, float[] sin) {}

    /** Rotates every head of {@code vec[offset .. offset + heads*headDim)} by token {@code token}'s angles. */
    public void rotate(float[] vec, int offset, int heads, Angles angles, int token) {
        int half = ropeDim / 2;
        for (int j = 0; j < half; j++) {
            float cos = angles.cos()[token * half + j];
            float sin = angles.sin()[token * half + j];
            int a = layout == RopeLayout.INTERLEAVED ? 2 * j : j;
            int b = layout == RopeLayout.INTERLEAVED ? 2 * j + 1 : j + half;
            for (int h = 0; h < heads; h++) {
                int base = offset + h * headDim;
                float x0 = vec[base + a];
                float x1 = vec[base + b];
                vec[base + a] = x0 * cos - x1 * sin;
                vec[base + b] = x0 * sin + x1 * cos;
            }
        }
    }
}
