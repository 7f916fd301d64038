package dev.sequoia.engine.backend.offload;

import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.tensor.WeightMatrix;
import dev.sequoia.offload.io.Extent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the offload module needs to know of a model: its file, and for each layer the file extents of its
 * seven projections, in the order {@link #PROJECTIONS} (the order slot views are rebuilt in).
 */
public record ModelExtents(Path file, List<List<Extent>> layers) {
    /** The projections a layer streams, in extent order. */
    public static final List<String> PROJECTIONS = List.of("wq", "wk", "wv", "wo", "w1", "w2", "w3");

    public ModelExtents {
        layers = layers.stream().map(List::copyOf).toList();
    }

    /** The extents of a model whose weights are views of its mapped (single) model file. */
    public static ModelExtents of(Model model) {
        Path file = model.source();
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("streaming needs a single-file model (GGUF or llama2.c), got " + file);
        }
        MappedOffsets offsets = MappedOffsets.snapshot();
        List<List<Extent>> layers = new ArrayList<>();
        for (LayerWeights w : model.weights().layers()) {
            List<Extent> ext = new ArrayList<>(7);
            for (WeightMatrix m : projections(w)) {
                ext.add(new Extent(offsets.fileOffset(m.data(), file, m.name()), m.byteSize()));
            }
            layers.add(ext);
        }
        return new ModelExtents(file, layers);
    }

    /** A layer's projections in {@link #PROJECTIONS} order. */
    static List<WeightMatrix> projections(LayerWeights w) {
        return List.of(w.wq(), w.wk(), w.wv(), w.wo(), w.w1(), w.w2(), w.w3());
    }
}
