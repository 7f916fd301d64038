package dev.sequoia.experiments.planted;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.bench.PlainVersusSequoia;
import dev.sequoia.engine.backend.offload.OffloadSettings;
import dev.sequoia.engine.format.BundledModels;
import dev.sequoia.engine.format.synthetic.PlantedCache;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.offload.plan.Bytes;
import dev.sequoia.offload.plan.PlanOverrides;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The main job as a benchmark: a planted target (a large shape computing the bundled stories260K's function;
 * a benchmark model, not a trained large model) streamed from disk under a memory budget, with the real
 * stories260K draft resident, decoded plainly and with optimizer-sized Sequoia trees, in fp32 activations and
 * with {@code --int8}. One row per activation type: AR s/token, Sequoia s/token, speedup, tokens/step, and the
 * optimizer's predicted against the measured seconds per step.
 *
 * <p>Usage: {@code PlantedStreamingBench [SHAPE [TYPE [BUDGET [TOKENS [OUT_PREFIX]]]]]}, default
 * {@code llama2-7b Q8_0 2GiB 32 planted-bench}; writes OUT_PREFIX.json and OUT_PREFIX.csv. Callable from
 * other code through {@link #run}.
 */
public final class PlantedStreamingBench {
    /** One measured configuration. */
    public record Row(String shape, String type, String budget, boolean int8, double arSecondsPerToken,
                      double sequoiaSecondsPerToken, double speedup, double tokensPerStep, int treeBudget,
                      int treeLevels, double predictedSecondsPerStep, double measuredSecondsPerStep,
                      double diskGbps, double streamedGbps, boolean identical) {
        static final String CSV_HEADER = "shape,type,budget,int8,ar_s_per_token,sequoia_s_per_token,speedup,"
                + "tokens_per_step,tree_budget,tree_levels,predicted_s_per_step,measured_s_per_step,disk_gbps,"
                + "streamed_gbps,identical";

        String csv() {
            return String.format(Locale.ROOT, "%s,%s,%s,%b,%.4f,%.4f,%.3f,%.3f,%d,%d,%.4f,%.4f,%.3f,%.3f,%b", shape, type,
                    budget, int8, arSecondsPerToken, sequoiaSecondsPerToken, speedup, tokensPerStep, treeBudget,
                    treeLevels, predictedSecondsPerStep, measuredSecondsPerStep, diskGbps, streamedGbps, identical);
        }
    }

    private PlantedStreamingBench() {}

    public static void main(String[] args) throws IOException {
        String shape = args.length > 0 ? args[0] : "llama2-7b";
        TensorType type = TensorType.valueOf(args.length > 1 ? args[1] : "Q8_0");
        String budget = args.length > 2 ? args[2] : "2GiB";
        int tokens = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        String prefix = args.length > 4 ? args[4] : "planted-bench";
        List<Row> rows = List.of(run(shape, type, budget, tokens, false), run(shape, type, budget, tokens, true));
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("note", "planted target: the " + shape + " shape computing stories260K's function; a benchmark model,"
                + " not a trained large model");
        doc.put("rows", rows);
        json.writeValue(Path.of(prefix + ".json").toFile(), doc);
        StringBuilder csv = new StringBuilder(Row.CSV_HEADER).append('\n');
        rows.forEach(r -> csv.append(r.csv()).append('\n'));
        Files.writeString(Path.of(prefix + ".csv"), csv);
        System.out.print(csv);
    }

    /** Prepares (once) the planted target and measures one row. */
    public static Row run(String shape, TensorType type, String budget, int tokens, boolean int8) {
        Path root = Path.of(System.getProperty("user.home"), ".cache", "sequoia");
        BundledModels small = BundledModels.extract(root.resolve("models").resolve("stories260K"));
        Path target = PlantedCache.gguf(root.resolve("planted"), shape, type, 1, small, (file, bytes) -> done -> {});
        ModelSpec draft = new ModelSpec(small.draft(), small.tokenizer());
        GenerateRequest request = GenerateRequest.greedy("Once upon a time", tokens);
        int threads = EngineConfig.defaultThreads();
        PlainVersusSequoia.acceptanceFromSmallTarget(target, new ModelSpec(small.target(), small.tokenizer()), draft,
                threads, request);
        EngineConfig config = EngineConfig.builder(ModelSpec.of(target)).threads(threads)
                .offload(new OffloadSettings(Bytes.parse(budget), PlanOverrides.NONE, 2, 4L << 20))
                .int8Activations(int8).build();
        PlainVersusSequoia.Result r = PlainVersusSequoia.run(config, draft, "auto", request, System.err::println);
        var s = r.sequoia();
        return new Row(shape, type.name(), budget, int8, r.plain().secondsPerToken(), s.secondsPerToken(), r.speedup(),
                s.result().stats().tokensPerStep(), s.choice() == null ? 0 : s.choice().budget(),
                s.choice() == null ? 0 : s.choice().levels(), s.predictedSecondsPerStep(), s.secondsPerStep(),
                s.diskGbps(), s.result().stats().offload().achievedGbps(), r.identical());
    }
}
