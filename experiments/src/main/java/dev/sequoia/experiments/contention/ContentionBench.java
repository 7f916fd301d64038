package dev.sequoia.experiments.contention;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Many tiny speculative generations on the real stories260K pair through the sessions API: a workload of
 * short kernel loops, back to back, that shows how the kernel pool copes when another process takes a
 * core. Run it alone and beside a busy process ({@code yes > /dev/null &}) and compare the seconds.
 *
 * <p>Usage: {@code ContentionBench [GENERATIONS=3000] [THREADS=2] [REPEATS=3] [MODEL_DIR]}; prints the seconds
 * of each repeat of GENERATIONS two-token generations (each in a fresh session, tree 4x2) and their median.
 */
public final class ContentionBench {
    private ContentionBench() {}

    public static void main(String[] args) {
        int generations = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path dir = Path.of(args.length > 3 ? args[3] : "engine/src/main/resources/dev/sequoia/engine/models/stories260K");
        ModelSpec target = new ModelSpec(dir.resolve("stories260K.bin"), dir.resolve("tok512.bin"));
        ModelSpec draft = new ModelSpec(dir.resolve("draft-stories260K-d32.bin"), dir.resolve("tok512.bin"));
        EngineConfig config = EngineConfig.builder(target).draft(draft).tree("4x2").threads(threads).build();
        try (Engine engine = Engine.open(config)) {
            run(engine, generations / 10); // warm-up: JIT and caches
            double[] seconds = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                seconds[r] = run(engine, generations);
                System.out.printf("repeat %d: %d generations in %.2f s%n", r + 1, generations, seconds[r]);
            }
            Arrays.sort(seconds);
            System.out.printf("median: %.2f s for %d two-token generations, %d kernel threads%n",
                    seconds[repeats / 2], generations, threads);
        }
    }

    private static double run(Engine engine, int generations) {
        String[] prompts = {"Once upon a time", "Lily and Ben", "The little dog", "One day"};
        long tokens = 0, start = System.nanoTime();
        for (int i = 0; i < generations; i++) {
            try (Session s = engine.openSession()) {
                GenerationResult r = s.generate(GenerateRequest.greedy(prompts[i % prompts.length], 2));
                tokens += r.tokens().length;
            }
        }
        if (tokens == 0) throw new IllegalStateException("no token generated");
        return (System.nanoTime() - start) / 1e9;
    }
}
