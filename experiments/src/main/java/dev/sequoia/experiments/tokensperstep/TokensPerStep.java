package dev.sequoia.experiments.tokensperstep;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.speculative.AutoTree;
import dev.sequoia.engine.speculative.TreeSpec;
import dev.sequoia.tree.AcceptanceVector;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Issue 5's table: tokens per step of speculative decoding on the real pair (stories260K and its distilled
 * draft) for Sequoia trees of 8, 32 and 128 nodes, a chain of 8 and a 4x8 tree, at temperature 0 (greedy)
 * and 0.6, against the DP's prediction G(T) from the acceptance vector measured on-policy at the same
 * temperature, on the same prompts and positions. Prints a markdown table; see experiments/README.md.
 */
public final class TokensPerStep {
    /** The engine's acceptance prompts and six more; each generation starts from one of them. */
    static final List<String> PROMPTS = List.of("Once upon a time", "The little dog", "Lily and Tom went to the park",
            "One day, a boy", "She said", "It was a sunny day", "Tom and his mom", "The sun was shining",
            "A big cat", "Once there was a girl named Sue", "The boy wanted to", "In the forest");
    static final int[] BUDGETS = {8, 32, 128};
    static final List<String> FIXED_SHAPES = List.of("chain:8", "4x8");
    static final double[] TEMPERATURES = {0, 0.6};

    private TokensPerStep() {}

    /**
     * @param models  folder with stories260K.bin, draft-stories260K-d32.bin and tok512.bin
     * @param tokens  tokens per generation (and acceptance-measuring steps per prompt)
     * @param seeds   generations per prompt, and acceptance-measuring runs, when sampling
     * @param threads compute threads
     * @param seed    first seed of every random stream
     */
    record Options(Path models, int tokens, int seeds, int threads, long seed) {
        static Options parse(String[] args) {
            Path models = Path.of("engine/src/main/resources/dev/sequoia/engine/models/stories260K");
            int tokens = 128, seeds = 4, threads = 2;
            long seed = 1;
            for (int i = 0; i < args.length; i += 2) {
                String name = args[i];
                if (i + 1 >= args.length) throw new IllegalArgumentException("option " + name + " needs a value");
                String value = args[i + 1];
                switch (name) {
                    case "--models" -> models = Path.of(value);
                    case "--tokens" -> tokens = positive("--tokens", value);
                    case "--seeds" -> seeds = positive("--seeds", value);
                    case "--threads" -> threads = positive("--threads", value);
                    case "--seed" -> seed = Long.parseLong(value);
                    default -> throw new IllegalArgumentException("unknown option " + name
                            + ": expected --models DIR, --tokens N, --seeds N, --threads N, --seed N");
                }
            }
            return new Options(models, tokens, seeds, threads, seed);
        }

        private static int positive(String option, String value) {
            try {
                int v = Integer.parseInt(value);
                if (v > 0) return v;
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException(option + " " + value + ": expected a positive integer");
        }

        Path require(String name) {
            Path p = models.resolve(name);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("--models " + models + ": missing " + name
                        + " (expected the shared tiny models folder)");
            }
            return p;
        }
    }

    public static void main(String[] args) {
        Options o = Options.parse(args);
        ModelSpec target = new ModelSpec(o.require("stories260K.bin"), o.require("tok512.bin"));
        ModelSpec draft = new ModelSpec(o.require("draft-stories260K-d32.bin"), o.require("tok512.bin"));
        EngineConfig config = EngineConfig.builder(target).draft(draft).tree("chain:1").threads(o.threads()).build();
        try (Engine engine = Engine.open(config)) {
            List<Row> rows = new ArrayList<>();
            List<String> vectors = new ArrayList<>();
            StepMeter meter = new StepMeter(engine, PROMPTS, o.tokens());
            for (double t : TEMPERATURES) {
                AcceptanceRuns p = AcceptanceRuns.measure(engine, PROMPTS, o.tokens(), t, o.seeds(), o.seed() + 1);
                vectors.add(p.describe());
                AcceptanceVector pooled = p.pooled();
                for (int budget : BUDGETS) rows.add(row("sequoia", AutoTree.fixedSize(pooled, budget, 0), t, p, meter, o));
                for (String shape : FIXED_SHAPES) rows.add(row(shape, TreeSpec.parse(shape, 0), t, p, meter, o));
                System.err.println("done T = " + t);
            }
            print(rows, vectors, o);
        }
    }

    private static Row row(String name, TreeSpec tree, double temperature, AcceptanceRuns p, StepMeter meter,
                           Options o) {
        long t0 = System.nanoTime();
        Measurement m = meter.measure(tree, temperature, o.seeds(), o.seed());
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Row(name, tree.tree().size(), tree.tree().levels(), temperature, m.tokensPerStep(),
                m.standardError(), p.predicted(tree.tree()), p.predictedStderr(tree.tree()), m.steps(), seconds);
    }

    private static void print(List<Row> rows, List<String> vectors, Options o) {
        System.out.printf(Locale.ROOT, "Tokens per step, %d prompts x %d tokens (%d seeds each when sampling), top-p 1%n%n",
                PROMPTS.size(), o.tokens(), o.seeds());
        System.out.println(Row.header());
        rows.forEach(r -> System.out.println(r.markdown()));
        System.out.println();
        System.out.println("Acceptance vectors (measured on-policy on the same prompts and positions, pooled over runs):");
        vectors.forEach(v -> System.out.println("- " + v));
    }
}
