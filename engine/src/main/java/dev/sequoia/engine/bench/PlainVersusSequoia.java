package dev.sequoia.engine.bench;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.model.LlamaTransformer;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.speculative.AcceptanceMeasurer;
import dev.sequoia.engine.speculative.AutoTree;
import dev.sequoia.engine.speculative.PairProfiles;
import dev.sequoia.optimize.TreeChoice;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The main job measured: the same prompt decoded plainly and with Sequoia trees on one target configuration
 * (its memory budget and streaming plan), each run in an engine of its own. Used by {@code sequoia demo} and
 * by the planted-target benchmark in {@code experiments}.
 */
public final class PlainVersusSequoia {
    private PlainVersusSequoia() {}

    /**
     * One decoding run.
     *
     * @param plan      the engine's offload report (disk probe, residency plan), empty when all resident
     * @param choice    the optimizer's tree and its predicted cost, or null (plain decoding, or no profile)
     * @param diskGbps  the disk's direct-I/O bandwidth the engine measured, or NaN when nothing streams
     */
    public record Run(GenerationResult result, List<String> plan, TreeChoice choice, double diskGbps) {
        /** Seconds per generated token after the prompt. */
        public double secondsPerToken() {
            var s = result.stats();
            return (s.totalNanos() - s.prefillNanos()) / 1e9 / Math.max(1, s.tokens());
        }

        /** Seconds per target forward (one decoding step) after the prompt. */
        public double secondsPerStep() {
            var s = result.stats();
            return (s.totalNanos() - s.prefillNanos()) / 1e9 / Math.max(1, s.targetForwards());
        }

        /** The optimizer's predicted seconds per step, or NaN. */
        public double predictedSecondsPerStep() {
            return choice == null ? Double.NaN : choice.timePerToken() * choice.expectedTokens();
        }
    }

    /** Both runs. */
    public record Result(Run plain, Run sequoia) {
        public double speedup() { return plain.secondsPerToken() / sequoia.secondsPerToken(); }
        public boolean identical() { return Arrays.equals(plain.result().tokens(), sequoia.result().tokens()); }
    }

    /**
     * Decodes {@code request} with {@code target} alone, then with {@code draft} and {@code tree} ("auto" with
     * budget 0: the optimizer's size), telling {@code log} when each run starts.
     */
    public static Result run(EngineConfig target, ModelSpec draft, String tree, GenerateRequest request,
                             Consumer<String> log) {
        log.accept("plain decoding ...");
        Run plain = decode(target, request, log);
        log.accept("Sequoia decoding (tree " + tree + ") ...");
        Run sequoia = decode(target.toBuilder().draft(draft).tree(tree).build(), request, log);
        return new Result(plain, sequoia);
    }

    private static Run decode(EngineConfig config, GenerateRequest request, Consumer<String> log) {
        try (Engine engine = Engine.open(config.toBuilder().prefixCacheBytes(0).build()); Session session = engine.openSession()) {
            if (engine.trees() instanceof AutoTree auto) {
                // the optimizer's t(n) profile (measured once per configuration, then cached) and the tree are
                // built before the timed generation, as a long-running server would have them
                log.accept("the optimizer's tree: t(n) of this configuration (measured once, then cached) ...");
                auto.forSampling(request.sampling().temperature(), request.sampling().topP());
            }
            GenerationResult r = session.generate(request);
            TreeChoice choice = engine.trees() instanceof AutoTree auto ? auto.lastChoice() : null;
            return new Run(r, engine.offloadReport(), choice, diskGbps(engine.offloadReport()));
        }
    }

    /** The engine's probe line reads "disk: 1.23 GB/s (...)". */
    private static double diskGbps(List<String> report) {
        for (String line : report) {
            String l = line.strip();
            if (l.startsWith("disk: ")) {
                return Double.parseDouble(l.substring(6, l.indexOf(" GB/s")));
            }
        }
        return Double.NaN;
    }

    /**
     * Gives a planted target the acceptance vector of the small model it was planted from: they compute the same
     * function (within float rounding), so the pair's acceptance is measured on the small target in a fraction
     * of the time and cached for the planted pair. Does nothing when the planted pair already has one.
     */
    public static void acceptanceFromSmallTarget(Path planted, ModelSpec small, ModelSpec draft, int threads,
                                                 GenerateRequest request) {
        PairProfiles profiles = new PairProfiles(PairProfiles.defaultRoot(), planted, draft.model());
        double t = request.sampling().temperature(), p = request.sampling().topP();
        if (profiles.acceptance(t, p) != null) return;
        try (Arena arena = Arena.ofShared(); VectorMatMul kernels = new VectorMatMul(threads)) {
            Model target = ModelLoader.load(small.model(), small.tokenizer(), arena);
            Model d = ModelLoader.load(draft.model(), draft.tokenizer(), arena);
            profiles.saveAcceptance(AcceptanceMeasurer.measure(LlamaTransformer.cpu(target, kernels),
                    LlamaTransformer.cpu(d, kernels), target.tokenizer(), AutoTree.DEFAULT_PROMPTS, AutoTree.WIDTH, 48, t, p, 1));
        }
    }

    /** A one-line summary of a run. */
    public static String summary(String title, Run run) {
        var s = run.result().stats();
        return String.format(Locale.ROOT, "%-8s %6.3f s/token  %5.2f tokens/s  %5.2f tokens/step  %d steps", title,
                run.secondsPerToken(), 1 / run.secondsPerToken(), s.tokensPerStep(), s.targetForwards());
    }
}
