package dev.sequoia.engine.bench.device;

import dev.sequoia.engine.backend.cuda.CudaTransformer;
import dev.sequoia.engine.model.LlamaConfig;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Host-timed forwards of the CUDA transformer over synthetic shapes, for the GPU check's benchmarks. */
final class DeviceForwards {
    private DeviceForwards() {}

    static LlamaConfig withLayers(LlamaConfig s, int layers) {
        return new LlamaConfig(s.dim(), s.hiddenDim(), layers, s.heads(), s.kvHeads(), s.vocabSize(), 4096, s.rmsEps(),
                s.ropeTheta(), s.ropeDim(), s.ropeLayout(), null);
    }

    /** Commits a chain of {@code length} random tokens, as a prompt would. */
    static void prefix(CudaTransformer gpu, LlamaConfig c, int length) {
        int[] tokens = new SplittableRandom(3).ints(length, 0, c.vocabSize()).toArray();
        int[] parents = new int[length];
        int[] path = new int[length];
        for (int i = 0; i < length; i++) {
            parents[i] = i - 1;
            path[i] = i;
        }
        gpu.forward(tokens, parents);
        gpu.keep(path);
    }

    /** Median host-timed seconds of {@code reps} forwards of an n-token chain after one warm-up. */
    static double medianForward(CudaTransformer gpu, LlamaConfig c, int n, int reps) {
        double[] t = new double[reps];
        int[] tokens = new SplittableRandom(n).ints(n, 0, c.vocabSize()).toArray();
        int[] parents = new int[n];
        for (int i = 0; i < n; i++) parents[i] = i - 1;
        gpu.forward(tokens, parents);
        gpu.keep(new int[0]);
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            gpu.forward(tokens, parents);
            t[i] = (System.nanoTime() - t0) / 1e9;
            gpu.keep(new int[0]);
        }
        Arrays.sort(t);
        return t[reps / 2];
    }
}
