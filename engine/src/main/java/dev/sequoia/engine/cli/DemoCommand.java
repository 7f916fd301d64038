package dev.sequoia.engine.cli;

import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.backend.offload.OffloadSettings;
import dev.sequoia.engine.bench.PlainVersusSequoia;
import dev.sequoia.engine.bench.PlainVersusSequoia.Run;
import dev.sequoia.engine.format.BundledModels;
import dev.sequoia.engine.format.FileType;
import dev.sequoia.engine.format.synthetic.PlantedCache;
import dev.sequoia.offload.plan.Bytes;
import dev.sequoia.offload.plan.PlanOverrides;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code sequoia demo}: the main job with no arguments, on the CPU. Prepares once a planted target (a large
 * shape computing the bundled stories260K's function: a benchmark and demonstration model, not a trained large
 * model), puts it under a memory budget that makes most of its layers stream from disk with direct I/O, keeps
 * the real distilled draft resident, and decodes the same prompt plainly and with optimizer-sized Sequoia trees.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Plain vs Sequoia decoding of a planted large-shape target streamed from disk, with the real"
                + " stories260K draft (no arguments needed; CPU).")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--shape", defaultValue = "tinyllama-1.1b", description = "Shape of the planted target (configs/models; default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--type", defaultValue = "Q8_0", description = "Weight type of the planted target: ${COMPLETION-CANDIDATES}"
            + " (K-quant mixes with llama.cpp's per-tensor types; default: ${DEFAULT-VALUE}).")
    FileType type;

    @Option(names = "--memory-budget", paramLabel = "SIZE",
            description = "Memory for the target (resident layers, slots, fixed parts, KV) and the draft (default: a third of the target file, at least 256MiB).")
    String memoryBudget;

    @Option(names = {"-p", "--prompt"}, defaultValue = "Once upon a time", description = "Prompt (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "48", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--tree", defaultValue = "auto", description = "Tree policy for the Sequoia run (default: ${DEFAULT-VALUE}).")
    String tree;

    @Option(names = "--budget", defaultValue = "0", description = "Tree size for --tree auto; 0 lets the optimizer choose (default: ${DEFAULT-VALUE}).")
    int budget;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--cache-dir", description = "Where the planted target and bundled models are kept (default: ~/.cache/sequoia).")
    Path cacheDir;

    @Mixin
    Int8Option int8 = new Int8Option();

    @Override
    public Integer call() throws java.io.IOException {
        PrintStream out = System.out;
        long start = System.nanoTime();
        Path root = cacheDir != null ? cacheDir : Path.of(System.getProperty("user.home"), ".cache", "sequoia");
        BundledModels small = BundledModels.extract(root.resolve("models").resolve("stories260K"));
        Path target = PlantedCache.gguf(root.resolve("planted"), shape, type, 1, small,
                (file, bytes) -> new Progress("preparing " + file.getFileName(), bytes));
        long targetBytes = Files.size(target);
        long budgetBytes = memoryBudget != null ? Bytes.parse(memoryBudget) : Math.max(256L << 20, targetBytes / 3);
        int n = threads.count();
        out.printf(Locale.ROOT, "target: %s (%s, %.2f GB), a PLANTED %s model: the %s shape computing stories260K's function."
                        + "%n        A benchmark and demonstration model, not a trained large model: every byte is streamed and"
                        + "%n        every FLOP computed as in a %s, the text is stories260K's.%n"
                        + "draft:  %s (real, distilled from stories260K; resident)%nmemory: %s for the target and draft%n",
                target.getFileName(), type, targetBytes / 1e9, shape, shape, shape, small.draft().getFileName(),
                Bytes.format(budgetBytes));

        ModelSpec draft = new ModelSpec(small.draft(), small.tokenizer());
        GenerateRequest request = GenerateRequest.greedy(prompt, maxTokens);
        PlainVersusSequoia.acceptanceFromSmallTarget(target, new ModelSpec(small.target(), small.tokenizer()), draft, n, request);
        EngineConfig config = EngineConfig.builder(ModelSpec.of(target)).threads(n).tree("none").budget(budget)
                .offload(new OffloadSettings(budgetBytes, PlanOverrides.NONE, 2, 4L << 20))
                .int8Activations(int8.enabled).build();
        PlainVersusSequoia.Result r = PlainVersusSequoia.run(config, draft, tree, request, line -> out.println("\n== " + line));
        print(out, r);
        out.printf(Locale.ROOT, "%n[demo took %.0f s]%n", (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private void print(PrintStream out, PlainVersusSequoia.Result r) {
        out.println();
        out.println("Plan (plain and Sequoia runs):");
        r.plain().plan().forEach(l -> out.println("  " + l));
        out.println();
        out.println("Story (plain decoding):");
        out.println("  " + prompt + r.plain().result().text());
        out.println("Story (Sequoia decoding):");
        out.println("  " + prompt + r.sequoia().result().text());
        out.println();
        out.println(PlainVersusSequoia.summary("plain", r.plain()));
        out.println(PlainVersusSequoia.summary("Sequoia", r.sequoia()));
        Run s = r.sequoia();
        if (s.choice() != null) {
            out.printf(Locale.ROOT, "         tree: %d nodes, %d levels (optimizer's choice); predicted %.3f s/step, measured %.3f s/step%n",
                    s.choice().budget(), s.choice().levels(), s.predictedSecondsPerStep(), s.secondsPerStep());
        }
        out.printf(Locale.ROOT, "speedup: %.2fx%n", r.speedup());
        streaming(out, "plain", r.plain());
        streaming(out, "Sequoia", r.sequoia());
        out.println(r.identical()
                ? "Greedy outputs are identical: Sequoia's output follows the target exactly."
                : "WARNING: greedy Sequoia output differs from plain decoding");
    }

    private static void streaming(PrintStream out, String title, Run run) {
        var t = run.result().stats().offload();
        if (t.layersStreamed() == 0) return;
        out.printf(Locale.ROOT, "streamed (%s): %.1f GB in %d layer reads at %.2f GB/s; the disk reads %.2f GB/s (direct I/O)%n",
                title, t.bytesStreamed() / 1e9, t.layersStreamed(), t.achievedGbps(), run.diskGbps());
    }
}
