package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.speculative.AcceptanceMeasurer;
import dev.sequoia.engine.speculative.AutoTree;
import dev.sequoia.engine.speculative.PairProfiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code sequoia accept}: measures a target/draft pair's acceptance vector on-policy and caches it for --tree auto. */
@Command(name = "accept", mixinStandardHelpOptions = true,
        description = "Measure the acceptance vector of a target/draft pair (Sequoia's positional acceptance).")
public final class AcceptCommand implements Callable<Integer> {
    @Option(names = "--target", required = true, paramLabel = "PATH", description = "Target model.")
    Path target;

    @Option(names = "--draft", required = true, paramLabel = "PATH", description = "Draft model.")
    Path draft;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenizer when the model files have none.")
    Path tokenizer;

    @Option(names = "--prompts", paramLabel = "FILE", description = "One prompt per line (default: built-in story openings).")
    Path prompts;

    @Option(names = "--width", defaultValue = "16", description = "Children per node W (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--steps", defaultValue = "48", description = "Decoding steps measured per prompt (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = {"-t", "--temperature"}, defaultValue = "0.6", description = "Sampling temperature, 0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Target top-p (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        List<String> lines = prompts == null ? AutoTree.DEFAULT_PROMPTS
                : Files.readAllLines(prompts).stream().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) throw new IllegalArgumentException(prompts + ": no prompts (one per line expected)");
        EngineConfig config = EngineConfig.builder(new ModelSpec(target, tokenizer))
                .draft(new ModelSpec(draft, tokenizer)).tree("none").threads(threads.count()).build();
        try (Engine engine = Engine.open(config)) {
            long t0 = System.nanoTime();
            AcceptanceMeasurer.Result r = AcceptanceMeasurer.measure(engine.targetTransformer(),
                    engine.draftTransformer(), engine.tokenizer(), lines, width, steps, temperature, topP, seed);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (topP == 1 && width == AutoTree.WIDTH) {
                new PairProfiles(PairProfiles.defaultRoot(), target, draft).saveAcceptance(r);
            }
            spec.commandLine().getOut().println(json ? toJson(r, seconds) : toText(r, seconds));
        }
        return 0;
    }

    private static String toText(AcceptanceMeasurer.Result r, double seconds) {
        StringBuilder sb = new StringBuilder("acceptance vector (P(rank k accepted), k = 1.." + r.width() + "):\n[");
        for (int k = 0; k < r.width(); k++) sb.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", r.acceptance()[k]));
        sb.append(String.format(Locale.ROOT, "]%nreject-all: %.4f%nsteps measured: %d (%.1f s)", r.rejectAll(), r.steps(), seconds));
        return sb.toString();
    }

    private static String toJson(AcceptanceMeasurer.Result r, double seconds) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode o = mapper.createObjectNode();
        o.putPOJO("acceptance", r.acceptance());
        o.put("reject_all", r.rejectAll());
        o.put("steps", r.steps());
        o.put("width", r.width());
        o.put("temperature", r.temperature());
        o.put("top_p", r.topP());
        o.put("seconds", seconds);
        return o.toPrettyString();
    }
}
