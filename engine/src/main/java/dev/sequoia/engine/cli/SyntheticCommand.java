package dev.sequoia.engine.cli;

import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.synthetic.PlantedModels;
import dev.sequoia.engine.format.synthetic.ShapePresets;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.format.FileType;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.tensor.TensorType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code sequoia synthetic}: writes a seeded synthetic Llama model of a named shape to GGUF or safetensors, or
 * with {@code --plant} a planted model (the shape computing a small real model's function, {@link PlantedModels}).
 */
@Command(name = "synthetic", mixinStandardHelpOptions = true,
        description = "Write a seeded synthetic Llama model of a named shape (configs/models) as GGUF or safetensors.")
public final class SyntheticCommand implements Callable<Integer> {
    /** The output formats. */
    public enum Format { gguf, safetensors }

    @Spec
    CommandSpec spec;

    @Option(names = "--shape", required = true, paramLabel = "NAME",
            description = "Shape preset, e.g. tiny-test, tiny-demo, tinyllama-1.1b, llama2-7b, llama2-70b.")
    String shape;

    @Option(names = "--type", defaultValue = "F32", paramLabel = "TYPE",
            description = "Weight type: ${COMPLETION-CANDIDATES} (K-quant mixes with llama.cpp's per-tensor types; "
                    + "safetensors: F32, F16, BF16; default ${DEFAULT-VALUE}).")
    FileType type;

    @Option(names = "--format", defaultValue = "gguf", description = "Output format: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "Output file (gguf) or folder (safetensors).")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--plant", paramLabel = "SMALL_MODEL",
            description = "Plant this small real model (any format the engine loads) in the shape: the output is the"
                    + " small model's, every byte and FLOP the shape's. A benchmark and demonstration model, not a trained"
                    + " large model. GGUF only.")
    Path plant;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenizer of the --plant model when its file has none (llama2.c tokenizer.bin).")
    Path tokenizer;

    @Override
    public Integer call() throws IOException {
        LlamaConfig config = ShapePresets.load(shape);
        if (plant != null) return writePlanted(config);
        SyntheticModels models = new SyntheticModels(config, type, seed);
        long start = System.nanoTime();
        switch (format) {
            case gguf -> models.writeGguf(out);
            case safetensors -> models.writeSafetensors(out);
        }
        long bytes = Files.isDirectory(out) ? sizeOf(out) : Files.size(out);
        spec.commandLine().getOut().printf("wrote %s %s %s (%d layers, dim %d, vocab %d): %.1f MB in %.1f s%n",
                shape, type, out, config.layers(), config.dim(), config.vocabSize(), bytes / 1e6,
                (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private int writePlanted(LlamaConfig shapeConfig) throws IOException {
        if (format != Format.gguf) throw new IllegalArgumentException("--plant writes GGUF only, not " + format);
        long start = System.nanoTime();
        try (Arena arena = Arena.ofConfined()) {
            Model small = ModelLoader.load(plant, tokenizer, arena);
            // a K-quant mix is typed per tensor as llama.cpp does; a block of zeros decodes to zeros in every type
            PlantedModels planted = new PlantedModels(shapeConfig, small, type, seed);
            planted.writeGguf(out, new Progress("writing " + out.getFileName(), planted.fileSize()));
            LlamaConfig c = planted.config();
            spec.commandLine().getOut().printf("wrote %s: %s %s shape (%d layers, dim %d, heads %d/%d, hidden %d) planted with"
                            + " %s (vocab %d): %.1f MB in %.1f s%n"
                            + "This is a benchmark and demonstration model, not a trained large model: its output is %s's.%n",
                    out, shape, type, c.layers(), c.dim(), c.heads(), c.kvHeads(), c.hiddenDim(), plant.getFileName(),
                    c.vocabSize(), Files.size(out) / 1e6, (System.nanoTime() - start) / 1e9, plant.getFileName());
        }
        return 0;
    }

    private static long sizeOf(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
