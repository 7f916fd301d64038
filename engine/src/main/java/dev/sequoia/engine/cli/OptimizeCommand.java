package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.speculative.AcceptanceMeasurer;
import dev.sequoia.engine.speculative.AutoTree;
import dev.sequoia.engine.speculative.PairProfiles;
import dev.sequoia.engine.speculative.VerificationProfiler;
import dev.sequoia.optimize.TreeChoice;
import dev.sequoia.optimize.TreeOptimizer;
import dev.sequoia.tree.AcceptanceVector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * {@code sequoia optimize}: measures t(n) on the configuration the target really runs in (resident, or
 * streamed under a memory budget) and the draft's time per tree level, takes the pair's acceptance vector
 * (cached or measured), and runs the hardware-aware optimizer. The profile is cached under the engine's
 * configuration name, so {@code generate --tree auto} with the same budget and threads uses it.
 */
@Command(name = "optimize", mixinStandardHelpOptions = true,
        description = "Measure t(n) under the offload configuration and choose the Sequoia tree size and depth.")
public final class OptimizeCommand implements Callable<Integer> {
    /** Powers of two and a few sizes between, up to 1024. */
    static final int[] DEFAULT_SIZES = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024};

    @Mixin
    ModelPaths models = new ModelPaths();

    @Option(names = {"-t", "--temperature"}, defaultValue = "0", description = "Sampling temperature the acceptance vector is for (default: ${DEFAULT-VALUE}, greedy).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus mass the acceptance vector is for (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--sizes", split = ",", paramLabel = "N", description = "Tree sizes n to time (default: 1..1024, powers of two and between; capped by the context).")
    int[] sizes;

    @Option(names = "--repetitions", defaultValue = "3", description = "Timed forwards per size; the median is used (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--prefix", defaultValue = "64", description = "Committed tokens before the timed tree (default: ${DEFAULT-VALUE}).")
    int prefix;

    @Option(names = "--acceptance-steps", defaultValue = "48", description = "Steps per prompt when the acceptance vector must be measured (default: ${DEFAULT-VALUE}).")
    int acceptanceSteps;

    @Option(names = "--max-levels", defaultValue = "16", description = "Most tree levels, root included (default: ${DEFAULT-VALUE}).")
    int maxLevels;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--context", defaultValue = "0", description = "Most tokens per session, as for generate (default: the model's).")
    int context;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Mixin
    Int8Option int8 = new Int8Option();

    @Mixin
    OffloadOptions offload = new OffloadOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        EngineConfig config = EngineConfig.builder(models.target()).draft(models.requireDraft("optimize"))
                .tree("auto").threads(threads.count()).prefixCacheBytes(0).contextLength(context)
                .offload(offload.settings()).int8Activations(int8.enabled).build();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        Consumer<String> log = line -> {
            err.println(line);
            err.flush();
        };
        Map<String, Object> out;
        try (Engine engine = Engine.open(config)) {
            engine.offloadReport().forEach(log);
            out = optimize(engine, log);
        }
        if (json) {
            stdout.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
        } else {
            out.forEach((k, v) -> stdout.println(k + ": " + (v instanceof double[] a ? java.util.Arrays.toString(a) : v)));
        }
        stdout.flush();
        return 0;
    }

    private Map<String, Object> optimize(Engine engine, Consumer<String> log) {
        PairProfiles profiles = new PairProfiles(PairProfiles.defaultRoot(), engine.target().source(), engine.draft().source());
        int[] ns = sizes(engine);
        log.accept("timing t(n) for n in " + java.util.Arrays.toString(ns) + " (" + engine.profileConfiguration() + ")");
        VerificationProfiler.Profile profile = VerificationProfiler.measure(engine.targetTransformer(),
                engine.targetLayers(), engine.draftTransformer(), ns, prefix, Math.max(1, repetitions));
        profiles.saveProfile(engine.profileConfiguration(), profile);
        AcceptanceMeasurer.Result acceptance = acceptance(engine, profiles, log);
        TreeChoice c = TreeOptimizer.optimize(AcceptanceVector.of(acceptance.acceptance()), profile.times(),
                profile.draftSecondsPerLevel(), maxLevels);
        return report(engine, profile, acceptance, c, profiles);
    }

    /** The requested sizes (always with n = 1, the autoregressive baseline) that fit after the prefix. */
    private int[] sizes(Engine engine) {
        if (prefix < 0) throw new IllegalArgumentException("--prefix must be >= 0, got " + prefix);
        int capacity = Math.min(engine.target().config().contextLength(), engine.draft().config().contextLength());
        if (context > 0) capacity = Math.min(capacity, context);
        int most = capacity - Math.min(prefix, capacity / 2);
        int[] ns = IntStream.concat(IntStream.of(1), IntStream.of(sizes != null ? sizes : DEFAULT_SIZES))
                .filter(n -> n >= 1 && n <= most).distinct().sorted().toArray();
        return ns;
    }

    private AcceptanceMeasurer.Result acceptance(Engine engine, PairProfiles profiles, Consumer<String> log) {
        AcceptanceMeasurer.Result cached = profiles.acceptance(temperature, topP);
        if (cached != null) return cached;
        log.accept("measuring the pair's acceptance vector (" + acceptanceSteps + " steps per prompt)");
        AcceptanceMeasurer.Result r = AcceptanceMeasurer.measure(engine.targetTransformer(), engine.targetLayers(),
                engine.draftTransformer(), engine.tokenizer(), AutoTree.DEFAULT_PROMPTS, AutoTree.WIDTH,
                Math.max(1, acceptanceSteps), temperature, topP, 1);
        profiles.saveAcceptance(r);
        return r;
    }

    private static Map<String, Object> report(Engine engine, VerificationProfiler.Profile profile,
                                              AcceptanceMeasurer.Result acceptance, TreeChoice c, PairProfiles profiles) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("configuration", engine.profileConfiguration());
        if (engine.offloadPlan() != null) {
            var plan = engine.offloadPlan();
            out.put("plan", Map.of("memory_budget_bytes", plan.budgetBytes(), "resident_layers", plan.resident(),
                    "streamed_layers", plan.streamed().size(), "slots", plan.slots(), "slot_bytes", plan.slotBytes(),
                    "total_bytes", plan.totalBytes()));
        }
        Map<String, Double> t = new LinkedHashMap<>();
        profile.times().byBudget().forEach((n, s) -> t.put(String.valueOf(n), s));
        out.put("t_seconds", t);
        out.put("draft_s_per_level", profile.draftSecondsPerLevel());
        Map<String, Double> byWidth = new LinkedHashMap<>();
        profile.draftByWidth().forEach((width, secs) -> byWidth.put(Integer.toString(width), secs));
        out.put("draft_s_by_width", byWidth);
        out.put("acceptance", acceptance.acceptance());
        out.put("budget", c.budget());
        out.put("depth", c.levels());
        out.put("expected_tokens_per_step", c.expectedTokens());
        out.put("predicted_s_per_step", c.timePerToken() * c.expectedTokens());
        out.put("predicted_s_per_token", c.timePerToken());
        out.put("ar_s_per_token", profile.times().at(1));
        out.put("predicted_speedup", c.predictedSpeedup());
        out.put("profile_cache", profiles.dir().toString());
        return out;
    }
}
