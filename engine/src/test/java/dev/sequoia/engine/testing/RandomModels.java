package dev.sequoia.engine.testing;

import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small random F32 Llama models built in memory, for transformer tests that need no file. */
public final class RandomModels {
    private RandomModels() {}

    public static LlamaConfig tinyConfig() {
        return new LlamaConfig(32, 48, 2, 4, 2, 64, 256, 1e-5f, 10000f, 8, RopeLayout.INTERLEAVED, null);
    }

    public static LlamaWeights weights(LlamaConfig c, long seed, Arena arena) {
        Random rnd = new Random(seed);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            layers.add(new LayerWeights(norm(c.dim(), rnd),
                    matrix("wq", c.dim(), c.dim(), rnd, arena), matrix("wk", c.kvDim(), c.dim(), rnd, arena),
                    matrix("wv", c.kvDim(), c.dim(), rnd, arena), matrix("wo", c.dim(), c.dim(), rnd, arena),
                    norm(c.dim(), rnd),
                    matrix("w1", c.hiddenDim(), c.dim(), rnd, arena), matrix("w2", c.dim(), c.hiddenDim(), rnd, arena),
                    matrix("w3", c.hiddenDim(), c.dim(), rnd, arena)));
        }
        WeightMatrix embedding = matrix("tok_embeddings", c.vocabSize(), c.dim(), rnd, arena);
        return new LlamaWeights(embedding, layers, norm(c.dim(), rnd), embedding);
    }

    private static float[] norm(int dim, Random rnd) {
        float[] w = new float[dim];
        for (int i = 0; i < dim; i++) w[i] = 0.8f + 0.4f * rnd.nextFloat();
        return w;
    }

    private static WeightMatrix matrix(String name, int rows, int cols, Random rnd, Arena arena) {
        MemorySegment seg = arena.allocate((long) rows * cols * 4, 64);
        double scale = 1.5 / Math.sqrt(cols);
        for (long i = 0; i < (long) rows * cols; i++) {
            seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (rnd.nextGaussian() * scale));
        }
        return new WeightMatrix(name, TensorType.F32, rows, cols, seg);
    }
}
