package dev.sequoia.engine.kernel.bench;

import java.util.List;
import java.util.Map;

/**
 * The matrix shapes of a Llama model by name, for kernel benchmarks: what one forward pass multiplies.
 * Full model configs live in configs/models; these are only the GEMM shapes.
 */
public record ModelShape(String name, int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize) {
    private static final Map<String, ModelShape> PRESETS = Map.of(
            "tinyllama-1.1b", new ModelShape("tinyllama-1.1b", 2048, 5632, 22, 32, 4, 32000),
            "llama2-7b", new ModelShape("llama2-7b", 4096, 11008, 32, 32, 32, 32000));

    public static ModelShape named(String name) {
        ModelShape s = PRESETS.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown synthetic shape '" + name + "', expected one of "
                    + PRESETS.keySet().stream().sorted().toList());
        }
        return s;
    }

    public int kvDim() { return dim / heads * kvHeads; }

    /** (rows, cols) of each projection of one layer: q, k, v, o, gate, up, down. */
    public List<int[]> layerMatrices() {
        return List.of(new int[] {dim, dim}, new int[] {kvDim(), dim}, new int[] {kvDim(), dim},
                new int[] {dim, dim}, new int[] {hiddenDim, dim}, new int[] {hiddenDim, dim},
                new int[] {dim, hiddenDim});
    }
}
