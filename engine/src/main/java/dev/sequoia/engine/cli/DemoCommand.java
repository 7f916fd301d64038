package dev.sequoia.engine.cli;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.format.synthetic.SyntheticCache;
import dev.sequoia.engine.tensor.TensorType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code sequoia demo}: the main job with no arguments. Generates (once) a small synthetic target and a
 * draft (the same weights quantized to Q4_0: random synthetic weights leave no smaller model that agrees
 * with the target, so the draft shares its shape), then decodes the same prompt plainly and with a Sequoia
 * tree and prints both with tokens per step and speed. On a real pair the draft is far smaller than the
 * target; here tokens per step, not speed, is what the speculative run shows.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run plain and speculative decoding on a built-in synthetic model (no arguments needed).")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--shape", defaultValue = "tiny-demo", description = "Synthetic shape preset (default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "64", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--tree", defaultValue = "auto", description = "Tree policy for the speculative run (default: ${DEFAULT-VALUE}).")
    String tree;

    @Option(names = "--budget", defaultValue = "16", description = "Tree size for --tree auto; 0 lets the optimizer choose (default: ${DEFAULT-VALUE}).")
    int budget;

    @Option(names = "--threads", description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(names = "--cache-dir", description = "Where the synthetic models are kept (default: ~/.cache/sequoia/synthetic).")
    Path cacheDir;

    @Override
    public Integer call() {
        Path dir = cacheDir != null ? cacheDir : SyntheticCache.defaultDir();
        System.out.println("Preparing the synthetic " + shape + " target (F16) and draft (Q4_0) in " + dir + " ...");
        Path target = SyntheticCache.gguf(dir, shape, TensorType.F16, 1);
        Path draft = SyntheticCache.gguf(dir, shape, TensorType.Q4_0, 1);
        int n = threads == null ? EngineConfig.defaultThreads() : threads;
        EngineConfig plain = EngineConfig.of(ModelSpec.of(target)).withThreads(n);
        GenerateRequest request = GenerateRequest.greedy("Once upon a time", maxTokens);
        GenerationResult ar = run("plain decoding", plain, request);
        GenerationResult spec = run("speculative decoding (tree " + tree + ", budget " + budget + ")",
                plain.withDraft(ModelSpec.of(draft), tree).withTree(tree, budget, 0), request);
        System.out.println(java.util.Arrays.equals(ar.tokens(), spec.tokens())
                ? "Greedy speculative output is identical to plain decoding, as it must be."
                : "WARNING: speculative output differs from plain decoding");
        return 0;
    }

    /** Synthetic vocabularies decode to arbitrary bytes: show control characters as a middle dot. */
    private static String printable(String text) {
        return text.codePoints().map(c -> c == '\n' || !Character.isISOControl(c) && c != 0xFFFD ? c : 0xB7)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    private static GenerationResult run(String title, EngineConfig config, GenerateRequest request) {
        try (Engine engine = Engine.open(config); Session session = engine.openSession()) {
            GenerationResult r = session.generate(request);
            System.out.println();
            System.out.println("== " + title);
            System.out.println(printable(request.prompt() + r.text()));
            System.out.println(GenerateCommand.summary(r.stats()));
            return r;
        }
    }
}
