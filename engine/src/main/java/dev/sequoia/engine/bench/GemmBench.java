package dev.sequoia.engine.bench;

import dev.sequoia.engine.kernel.MatMul;
import dev.sequoia.engine.kernel.RandomWeights;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GEMMs of one forward pass of a named model shape, without attention or norms: every projection of
 * every layer plus the classifier, over random weights of one type in native memory owned by this object.
 *
 * <p>To bound memory, at most {@code budgetBytes} of distinct layers are allocated and the forward cycles
 * through them (layer l uses copy l mod D). The budget is far above the last-level cache, so every layer's
 * weights still stream from DRAM: the time and the bytes per token are those of the full model.
 */
public final class GemmBench implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final ModelShape shape;
    private final List<WeightMatrix[]> distinctLayers = new ArrayList<>();
    private final WeightMatrix classifier;
    private final long weightBytesPerToken;

    public GemmBench(ModelShape shape, TensorType type, long budgetBytes, long seed) {
        this.shape = shape;
        long layerBytes = shape.layerMatrices().stream().mapToLong(m -> (long) m[0] * type.byteSize(m[1])).sum();
        long classifierBytes = (long) shape.vocabSize() * type.byteSize(shape.dim());
        int distinct = (int) Math.max(1, Math.min(shape.layers(), (budgetBytes - classifierBytes) / layerBytes));
        for (int l = 0; l < distinct; l++) {
            List<int[]> ms = shape.layerMatrices();
            WeightMatrix[] layer = new WeightMatrix[ms.size()];
            for (int i = 0; i < layer.length; i++) {
                layer[i] = RandomWeights.create(arena, "blk." + l + ".m" + i, type, ms.get(i)[0], ms.get(i)[1],
                        seed + 31L * l + i);
            }
            distinctLayers.add(layer);
        }
        this.classifier = RandomWeights.create(arena, "output.weight", type, shape.vocabSize(), shape.dim(), seed - 1);
        this.weightBytesPerToken = layerBytes * shape.layers() + classifierBytes;
    }

    /** Bytes of weights one forward reads: all layers' projections and the classifier. */
    public long weightBytesPerToken() { return weightBytesPerToken; }

    public int distinctLayers() { return distinctLayers.size(); }

    /** Median seconds of one forward's GEMMs over n tokens, after one warm-up pass. */
    public double forwardSeconds(MatMul mm, int n, int iterations) {
        return ForwardBench.median(forwardSteps(mm, n, iterations, () -> {}));
    }

    /** Seconds of each of {@code iterations} forwards over n tokens (after one warm-up), {@code between} before each. */
    public double[] forwardSteps(MatMul mm, int n, int iterations, Runnable between) {
        int widest = Math.max(shape.hiddenDim(), shape.vocabSize());
        float[] x = RandomWeights.activations(n, Math.max(shape.dim(), shape.hiddenDim()), n);
        float[] out = new float[n * widest];
        double[] seconds = new double[iterations];
        for (int it = -1; it < iterations; it++) {
            if (it >= 0) between.run();
            long t0 = System.nanoTime();
            for (int l = 0; l < shape.layers(); l++) {
                for (WeightMatrix w : distinctLayers.get(l % distinctLayers.size())) mm.gemm(w, x, out, n);
            }
            mm.gemm(classifier, x, out, n);
            if (it >= 0) seconds[it] = (System.nanoTime() - t0) / 1e9;
        }
        return seconds;
    }

    /** Like {@link ForwardBench#verifySeconds}: (1-token, n-token) forward pairs per batch size. */
    public Map<Integer, VerifyTiming> verifySeconds(MatMul mm, int[] batchSizes, int iterations) {
        Map<Integer, VerifyTiming> result = new LinkedHashMap<>();
        for (int n : batchSizes) {
            double[] t1 = new double[iterations], tn = new double[iterations];
            forwardSteps(mm, n, 1, () -> {}); // warm-up of this shape
            for (int it = 0; it < iterations; it++) {
                t1[it] = forwardSteps(mm, 1, 1, () -> {})[0];
                tn[it] = forwardSteps(mm, n, 1, () -> {})[0];
            }
            result.put(n, VerifyTiming.of(t1, tn));
        }
        return result;
    }

    @Override
    public void close() {
        arena.close();
    }
}
