package dev.sequoia.engine.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Llama 3.1's RoPE frequency scaling (rope_type "llama3": factor 8, low_freq_factor 1, high_freq_factor 4,
 * original context 8192, theta 500000, head size 128) against values of the published reference formula
 * (Meta's {@code apply_scaling}, as in Hugging Face's {@code _compute_llama3_parameters}) evaluated apart from
 * this code, in Python with doubles:
 * <pre>
 * inv = [500000 ** (-2 * j / 128) for j in range(64)]
 * for f in inv: w = 2 * pi / f
 *   f if w &lt; 8192 / 4 else f / 8 if w &gt; 8192 / 1 else (1 - s) * f / 8 + s * f, s = (8192 / w - 1) / (4 - 1)
 * </pre>
 * The rotation is read back from {@link Rope#rotate} at position 1, where pair j turns by exactly its inverse
 * frequency.
 */
class RopeScalingTest {
    private static final RopeScaling LLAMA_3_1 = new RopeScaling(8, 1, 4, 8192);
    /** {j, scaled inverse frequency}: high-frequency pairs kept, the 2048..8192 wavelength band blended, the rest / 8. */
    private static final double[][] PUBLISHED = {
            {0, 1.0}, {10, 0.12868737343265052}, {26, 0.004839421345719893}, {27, 0.003942276030116656},
            {28, 0.003211445994752591}, {29, 0.002166570763503359}, {30, 0.0013718935677611381},
            {31, 0.0008567514129196321}, {32, 0.0005248461609929547}, {33, 0.00031269375038406517},
            {34, 0.0001785078127679964}, {35, 9.556212353964683e-05}, {50, 4.411534674558404e-06},
            {63, 3.068925988914511e-07}};

    @Test
    void scaledFrequenciesAreThePublishedOnes() {
        for (double[] row : PUBLISHED) {
            int j = (int) row[0];
            double got = LLAMA_3_1.scale(unscaled(j));
            assertEquals(row[1], got, 1e-12 * row[1], "pair " + j);
        }
    }

    @Test
    void theRopeRotatesEachPairByItsScaledFrequency() {
        LlamaConfig c = new LlamaConfig(256, 512, 1, 2, 2, 16, 131072, 1e-5f, 500000f, 128, RopeLayout.INTERLEAVED, LLAMA_3_1);
        Rope rope = new Rope(c);
        float[] v = new float[256];
        for (int j = 0; j < 64; j++) v[2 * j] = 1; // head 0: every pair starts at (1, 0)
        rope.rotate(v, 0, 1, 1);
        for (double[] row : PUBLISHED) {
            int j = (int) row[0];
            double angle = Math.atan2(v[2 * j + 1], v[2 * j]);
            assertEquals(row[1], angle, 2e-6 * row[1] + 1e-9, "pair " + j);
        }
    }

    @Test
    void theBandsMeetWhereTheFormulaSaysAndTheBlendIsMonotone() {
        double previous = Double.POSITIVE_INFINITY;
        for (int j = 0; j < 64; j++) {
            double f = unscaled(j), s = LLAMA_3_1.scale(f), wavelength = 2 * Math.PI / f;
            if (wavelength < 2048) assertEquals(f, s, 0, "pair " + j + " (short wavelength) is kept");
            else if (wavelength > 8192) assertEquals(f / 8, s, 1e-15 * f, "pair " + j + " (long wavelength) is divided by 8");
            else assertTrue(s > f / 8 && s < f, "pair " + j + " blends between f / 8 and f: " + s);
            assertTrue(s < previous, "scaled frequencies decrease with j");
            previous = s;
        }
    }

    @Test
    void invalidScalingIsRejectedWithItsFields() {
        var e = assertThrows(IllegalArgumentException.class, () -> new RopeScaling(8, 4, 1, 8192));
        assertTrue(e.getMessage().contains("high_freq_factor"), e.getMessage());
    }

    private static double unscaled(int j) {
        return Math.pow(500000, -2.0 * j / 128);
    }
}
