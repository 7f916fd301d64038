package dev.sequoia.engine.cli;

import dev.sequoia.engine.format.synthetic.ShapePresets;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.format.FileType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code sequoia synthetic}: writes a seeded synthetic Llama model of a named shape to GGUF or safetensors. */
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

    @Override
    public Integer call() throws IOException {
        LlamaConfig config = ShapePresets.load(shape);
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

    private static long sizeOf(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
