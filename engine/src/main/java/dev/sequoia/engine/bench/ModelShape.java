package dev.sequoia.engine.bench;

import dev.sequoia.engine.format.synthetic.ShapePresets;
import dev.sequoia.engine.model.LlamaConfig;

import java.util.List;

/**
 * The matrix shapes of a Llama model, for kernel benchmarks: what one forward pass multiplies. Named shapes
 * come from the presets in configs/models.
 */
public record ModelShape(String name, int dim, int hiddenDim, int layers, int kvDim, int vocabSize) {
    public static ModelShape named(String name) {
        LlamaConfig c = ShapePresets.load(name);
        return new ModelShape(name, c.dim(), c.hiddenDim(), c.layers(), c.kvDim(), c.vocabSize());
    }

    /** (rows, cols) of each projection of one layer: q, k, v, o, gate, up, down. */
    public List<int[]> layerMatrices() {
        return List.of(new int[] {dim, dim}, new int[] {kvDim, dim}, new int[] {kvDim, dim},
                new int[] {dim, dim}, new int[] {hiddenDim, dim}, new int[] {hiddenDim, dim},
                new int[] {dim, hiddenDim});
    }
}
