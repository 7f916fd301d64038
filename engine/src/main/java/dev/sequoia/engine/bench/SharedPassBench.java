package dev.sequoia.engine.bench;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.Generation;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.backend.offload.OffloadSettings;
import dev.sequoia.engine.sampling.SamplingParams;
import dev.sequoia.engine.speculative.AutoTree;
import dev.sequoia.offload.telemetry.PassTelemetry;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Shared target passes (issue 18), measured: for 1, 2, 4, 8 concurrent sessions on one engine, the aggregate
 * tokens per second (wall time from the first request to the last token, prompts included) against one session,
 * and each session's tokens per step against its value alone. A benchmark, not a test: run it alone
 * ({@code flock /tmp/sequoia-bench.lock}) and quote medians.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp ... \
 *   dev.sequoia.engine.bench.SharedPassBench --target M [--tokenizer T] [--draft D --tree 4x3]
 *   [--sessions 1,2,4,8] [--tokens 64] [--threads N] [--temperature 0] [--memory-budget BYTES] [--int8]
 *   [--repeats 3]
 * </pre>
 */
public final class SharedPassBench {
    private SharedPassBench() {}

    /**
     * One measurement: S sessions generating together; where the wall time went: the target's streamed passes
     * (their count is the most steps a session took, as all join the first pass), the compute's waits for
     * layers within them, and the rest (draft forwards, verification, sampling, the engine).
     */
    record Run(int sessions, double tokensPerSecond, double tokensPerStep, double passShare, int sharedSteps,
               double[] sessionTokensPerSecond, double[] sessionTokensPerStep, double wallSeconds, int passes,
               PassTelemetry streamed) {
    }

    public static void main(String[] args) {
        Options o = Options.parse(args);
        EngineConfig.Builder builder = EngineConfig.builder(new ModelSpec(o.target, o.tokenizer)).threads(o.threads)
                .prefixCacheBytes(0).int8Activations(o.int8);
        if (o.draft != null) builder.draft(new ModelSpec(o.draft, o.tokenizer)).tree(o.tree);
        if (o.memoryBudget > 0) builder.offload(OffloadSettings.budget(o.memoryBudget));
        EngineConfig config = builder.build();
        try (Engine engine = Engine.open(config)) {
            engine.offloadReport().forEach(line -> System.out.println("# " + line));
            run(engine, 1, o); // warm-up: JIT, caches, the streamed source's first pass
            List<Run> results = new ArrayList<>();
            for (int s : o.sessions) {
                List<Run> repeats = new ArrayList<>();
                for (int r = 0; r < o.repeats; r++) repeats.add(run(engine, s, o));
                repeats.sort((a, b) -> Double.compare(a.tokensPerSecond, b.tokensPerSecond));
                results.add(repeats.get(repeats.size() / 2));
            }
            print(results);
        }
    }

    private static Run run(Engine engine, int count, Options o) {
        List<Session> sessions = new ArrayList<>();
        List<Generation> running = new ArrayList<>();
        PassTelemetry before = engine.streamingTotals();
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            Session s = engine.openSession();
            sessions.add(s);
            String prompt = AutoTree.DEFAULT_PROMPTS.get(i % AutoTree.DEFAULT_PROMPTS.size());
            SamplingParams sampling = o.temperature == 0 ? SamplingParams.greedy()
                    : new SamplingParams(o.temperature, 0, 1, 1000 + i);
            running.add(s.generate(new GenerateRequest(prompt, o.tokens, sampling, List.of(), 0), null));
        }
        long tokens = 0;
        double perStep = 0, share = 0;
        int shared = 0, passes = 0;
        double[] sessionRate = new double[count], sessionPerStep = new double[count];
        for (int i = 0; i < count; i++) {
            GenerationResult r = running.get(i).await();
            tokens += r.tokens().length;
            perStep += r.stats().tokensPerStep();
            share += r.stats().passShare();
            shared += r.stats().sharedSteps();
            passes = Math.max(passes, r.stats().targetForwards());
            sessionRate[i] = r.tokens().length / (r.stats().totalNanos() / 1e9);
            sessionPerStep[i] = r.stats().tokensPerStep();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        PassTelemetry after = engine.streamingTotals();
        PassTelemetry streamed = new PassTelemetry(after.layersStreamed() - before.layersStreamed(),
                after.bytesStreamed() - before.bytesStreamed(), after.passNanos() - before.passNanos(),
                after.stallNanos() - before.stallNanos(), after.loadNanos() - before.loadNanos());
        sessions.forEach(Session::close);
        return new Run(count, tokens / seconds, perStep / count, share / count, shared, sessionRate, sessionPerStep,
                seconds, passes, streamed);
    }

    private static void print(List<Run> results) {
        Run one = results.stream().filter(r -> r.sessions == 1).findFirst().orElse(results.getFirst());
        System.out.println("sessions  aggregate_tok_s  x_one_session  tokens_per_step  vs_alone  pass_share  shared_steps"
                + "  passes  wall_s  in_passes_s  stall_s  ms_per_pass");
        for (Run r : results) {
            System.out.printf(Locale.ROOT, "%8d  %15.2f  %13.2f  %15.2f  %8.2f  %10.2f  %12d  %6d  %6.1f  %11.1f  %7.1f  %11.0f%n",
                    r.sessions, r.tokensPerSecond, r.tokensPerSecond / one.tokensPerSecond, r.tokensPerStep,
                    r.tokensPerStep / one.tokensPerStep, r.passShare, r.sharedSteps, r.passes, r.wallSeconds,
                    r.streamed.passNanos() / 1e9, r.streamed.stallNanos() / 1e9,
                    r.passes == 0 ? 0 : r.streamed.passNanos() / 1e6 / r.passes);
        }
        System.out.println("per session: tokens/s (own wall time) and tokens/step");
        for (Run r : results) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%8d ", r.sessions));
            for (int i = 0; i < r.sessions; i++) {
                line.append(String.format(Locale.ROOT, " %.2f/%.2f", r.sessionTokensPerSecond[i], r.sessionTokensPerStep[i]));
            }
            System.out.println(line);
        }
    }

    private static final class Options {
        Path target, tokenizer, draft;
        String tree = "4x3";
        int[] sessions = {1, 2, 4, 8};
        int tokens = 64, threads = EngineConfig.defaultThreads(), repeats = 3;
        double temperature;
        long memoryBudget;
        boolean int8;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--int8")) {
                    o.int8 = true;
                    continue;
                }
                if (i + 1 >= args.length) throw new IllegalArgumentException(a + ": expected a value after it");
                String v = args[++i];
                switch (a) {
                    case "--target" -> o.target = Path.of(v);
                    case "--tokenizer" -> o.tokenizer = Path.of(v);
                    case "--draft" -> o.draft = Path.of(v);
                    case "--tree" -> o.tree = v;
                    case "--sessions" -> o.sessions = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                    case "--tokens" -> o.tokens = Integer.parseInt(v);
                    case "--threads" -> o.threads = Integer.parseInt(v);
                    case "--repeats" -> o.repeats = Integer.parseInt(v);
                    case "--temperature" -> o.temperature = Double.parseDouble(v);
                    case "--memory-budget" -> o.memoryBudget = Long.parseLong(v);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (o.target == null) throw new IllegalArgumentException("--target: the target model file is required");
            return o;
        }
    }
}
