package dev.sequoia.engine.cli;

import dev.sequoia.engine.format.gguf.GgufSplitWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code sequoia split}: writes a GGUF model as llama.cpp-style split parts (gguf-split's layout). */
@Command(name = "split", mixinStandardHelpOptions = true,
        description = "Split a GGUF model into parts PREFIX-00001-of-0000N.gguf as llama.cpp's gguf-split does "
                + "(open the result by its first part).")
public final class SplitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "The GGUF model to split.")
    Path model;

    @Option(names = "--parts", required = true, paramLabel = "N", description = "Number of parts (tensors are cut into N runs of about equal bytes).")
    int parts;

    @Option(names = "--out", required = true, paramLabel = "PREFIX",
            description = "Output prefix: parts are written as PREFIX-00001-of-0000N.gguf ...")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(model)) throw new IllegalArgumentException("--model " + model + ": no such file");
        List<Path> written = GgufSplitWriter.split(model, out, parts);
        for (Path p : written) spec.commandLine().getOut().printf("wrote %s (%.1f MB)%n", p, Files.size(p) / 1e6);
        return 0;
    }
}
