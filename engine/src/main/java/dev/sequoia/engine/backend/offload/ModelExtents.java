package dev.sequoia.engine.backend.offload;

import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.tensor.TensorLocation;
import dev.sequoia.engine.tensor.WeightMatrix;
import dev.sequoia.offload.io.Extent;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the offload module needs to know of a model: its files (one, or one per part of a split GGUF or per
 * safetensors shard), and for each layer the extents of its seven projections, in the order
 * {@link #PROJECTIONS} (the order slot views are rebuilt in). An extent's {@code file} indexes {@link #files()}.
 * The offsets are the ones the loader recorded ({@link Model#locations()}), so nothing is inferred from the
 * mappings.
 */
public record ModelExtents(List<Path> files, List<List<Extent>> layers) {
    /** The projections a layer streams, in extent order. */
    public static final List<String> PROJECTIONS = List.of("wq", "wk", "wv", "wo", "w1", "w2", "w3");

    public ModelExtents {
        files = List.copyOf(files);
        layers = layers.stream().map(List::copyOf).toList();
    }

    /** The extents of a model's layers, from the file locations its loader recorded. */
    public static ModelExtents of(Model model) {
        List<Path> files = new ArrayList<>();
        List<List<Extent>> layers = new ArrayList<>();
        for (LayerWeights w : model.weights().layers()) {
            List<Extent> ext = new ArrayList<>(7);
            for (WeightMatrix m : projections(w)) {
                TensorLocation at = model.locations().get(m.name());
                if (at == null) {
                    throw new IllegalArgumentException("streaming needs the file location of every projection; the "
                            + model.format() + " loader recorded none for '" + m.name() + "' of " + model.source());
                }
                if (at.length() != m.byteSize()) {
                    throw new IllegalStateException(m.name() + ": the loader recorded " + at.length()
                            + " bytes at " + at.file() + ", the weight view has " + m.byteSize());
                }
                int file = files.indexOf(at.file());
                if (file < 0) {
                    files.add(at.file());
                    file = files.size() - 1;
                }
                ext.add(new Extent(file, at.offset(), at.length()));
            }
            layers.add(ext);
        }
        return new ModelExtents(files, layers);
    }

    /** The first file (what the bandwidth probe reads). */
    public Path file() { return files.getFirst(); }

    /** A layer's projections in {@link #PROJECTIONS} order. */
    static List<WeightMatrix> projections(LayerWeights w) {
        return List.of(w.wq(), w.wk(), w.wv(), w.wo(), w.w1(), w.w2(), w.w3());
    }
}
