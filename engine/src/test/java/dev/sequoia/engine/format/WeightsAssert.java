package dev.sequoia.engine.format;

import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.tensor.WeightMatrix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Compares two models' weights value for value (dequantized), for loader and writer round-trip tests. */
public final class WeightsAssert {
    private WeightsAssert() {}

    public static void assertSameWeights(LlamaWeights a, LlamaWeights b) {
        assertSameMatrix(a.tokenEmbedding(), b.tokenEmbedding());
        assertSameMatrix(a.classifier(), b.classifier());
        assertArrayEquals(a.finalNorm(), b.finalNorm(), "final norm");
        assertEquals(a.layers().size(), b.layers().size(), "layer count");
        for (int l = 0; l < a.layers().size(); l++) {
            LayerWeights x = a.layers().get(l), y = b.layers().get(l);
            assertArrayEquals(x.attnNorm(), y.attnNorm(), "attn norm " + l);
            assertArrayEquals(x.ffnNorm(), y.ffnNorm(), "ffn norm " + l);
            assertSameMatrix(x.wq(), y.wq());
            assertSameMatrix(x.wk(), y.wk());
            assertSameMatrix(x.wv(), y.wv());
            assertSameMatrix(x.wo(), y.wo());
            assertSameMatrix(x.w1(), y.w1());
            assertSameMatrix(x.w2(), y.w2());
            assertSameMatrix(x.w3(), y.w3());
        }
    }

    public static void assertSameMatrix(WeightMatrix a, WeightMatrix b) {
        assertEquals(a.rows(), b.rows(), a.name() + " rows");
        assertEquals(a.cols(), b.cols(), a.name() + " cols");
        for (int r = 0; r < a.rows(); r++) {
            assertArrayEquals(row(a, r), row(b, r), a.name() + " vs " + b.name() + " row " + r);
        }
    }

    public static float[] row(WeightMatrix w, int r) {
        float[] out = new float[w.cols()];
        new ScalarMatMul().dequantizeRow(w, r, out, 0);
        return out;
    }
}
