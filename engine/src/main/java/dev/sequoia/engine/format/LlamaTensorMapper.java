package dev.sequoia.engine.format;

import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a file's named tensors into {@link LlamaWeights}, checking every tensor's presence and shape
 * against the config. Matrices stay views of the file; norm vectors (small) are dequantized onto the heap.
 * The classifier is the embedding view when the file has no classifier tensor (tied weights).
 */
public final class LlamaTensorMapper {
    private final Path file;
    private final LlamaConfig config;
    private final Map<String, TensorSlice> tensors;
    private final TensorNames names;

    public LlamaTensorMapper(Path file, LlamaConfig config, Map<String, TensorSlice> tensors, TensorNames names) {
        this.file = file;
        this.config = config;
        this.tensors = tensors;
        this.names = names;
    }

    public LlamaWeights map() {
        int dim = config.dim(), vocab = config.vocabSize();
        WeightMatrix embedding = matrix(names.embedding(), vocab, dim);
        List<LayerWeights> layers = new ArrayList<>(config.layers());
        for (int l = 0; l < config.layers(); l++) layers.add(layer(l));
        float[] finalNorm = vector(names.finalNorm(), dim);
        WeightMatrix classifier = tensors.containsKey(names.classifier())
                ? matrix(names.classifier(), vocab, dim) : embedding;
        return new LlamaWeights(embedding, layers, finalNorm, classifier);
    }

    private LayerWeights layer(int l) {
        int dim = config.dim(), kvDim = config.kvDim(), hidden = config.hiddenDim();
        return new LayerWeights(
                vector(names.layer(l, names.attnNorm()), dim),
                matrix(names.layer(l, names.wq()), dim, dim),       // (dim, dim)
                matrix(names.layer(l, names.wk()), kvDim, dim),     // (kvDim, dim)
                matrix(names.layer(l, names.wv()), kvDim, dim),     // (kvDim, dim)
                matrix(names.layer(l, names.wo()), dim, dim),       // (dim, dim)
                vector(names.layer(l, names.ffnNorm()), dim),
                matrix(names.layer(l, names.gate()), hidden, dim),  // (hidden, dim)
                matrix(names.layer(l, names.down()), dim, hidden),  // (dim, hidden)
                matrix(names.layer(l, names.up()), hidden, dim));   // (hidden, dim)
    }

    private TensorSlice require(String name) {
        TensorSlice t = tensors.get(name);
        if (t == null) throw new ModelFormatException(file, "tensor '" + name + "' is missing");
        return t;
    }

    /** A {@code (rows, cols)} matrix view. */
    private WeightMatrix matrix(String name, int rows, int cols) {
        TensorSlice t = require(name);
        checkShape(t, new long[]{rows, cols});
        if (cols % t.type().blockSize() != 0) {
            throw new ModelFormatException(file, "tensor '" + name + "': " + t.type() + " rows need a multiple of "
                    + t.type().blockSize() + " columns, got " + cols);
        }
        return new WeightMatrix(name, t.type(), rows, cols, t.data());
    }

    /** A length-{@code n} vector, dequantized to floats. */
    private float[] vector(String name, int n) {
        TensorSlice t = require(name);
        checkShape(t, new long[]{n});
        if (n % t.type().blockSize() != 0) {
            throw new ModelFormatException(file, "tensor '" + name + "': " + t.type() + " needs a multiple of "
                    + t.type().blockSize() + " elements, got " + n);
        }
        float[] out = new float[n];
        new ScalarMatMul().dequantizeRow(new WeightMatrix(name, t.type(), 1, n, t.data()), 0, out, 0);
        return out;
    }

    private void checkShape(TensorSlice t, long[] expected) {
        if (!java.util.Arrays.equals(t.shape(), expected)) {
            throw new ModelFormatException(file, "tensor '" + t.name() + "' has shape " + t.shapeString()
                    + " (outer-first), expected " + java.util.Arrays.toString(expected) + " for " + describe());
        }
    }

    private String describe() {
        return "dim=" + config.dim() + " hidden=" + config.hiddenDim() + " kvDim=" + config.kvDim()
                + " vocab=" + config.vocabSize();
    }
}
