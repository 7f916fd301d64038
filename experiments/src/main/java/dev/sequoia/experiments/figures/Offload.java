package dev.sequoia.experiments.figures;

import dev.sequoia.engine.bench.OffloadBench;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.kernel.Int8ActivationMatMul;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.speculative.VerificationProfiler;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.experiments.output.Figure;
import dev.sequoia.experiments.output.Report;
import dev.sequoia.experiments.tokensperstep.AcceptanceRuns;
import dev.sequoia.offload.plan.PlanOverrides;
import dev.sequoia.optimize.TreeChoice;
import dev.sequoia.optimize.TreeOptimizer;
import dev.sequoia.optimize.VerificationTimes;
import dev.sequoia.tree.AcceptanceVector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Paper Table 2 / §3.3: offloading. A target streamed from disk under several memory budgets (fp32 weights with
 * fp32 activations; Q8_0 weights with --int8 activations): t(n)/t(1) and the autoregressive s/token measured by
 * the engine's offload bench, and Sequoia's projected s/token over that t(n) with the tiny pair's acceptance vector
 * at T = 0.6. On the H200 curves, the same projection at the measured PCIe rate and at 25 GB/s (PCIe 4, the
 * paper's L40). The target is a synthetic model of a named shape (7B by default, random weights until a planted
 * one exists) or any file given with -P offload-model / -P offload-int8-model.
 */
public final class Offload implements Experiment {
    static final double PCIE4_GBPS = 25;

    record Setup(String shape, double[] budgets, int[] sizes, int iterations, int arTokens) {
        static Setup of(RunContext ctx) {
            boolean q = ctx.quick();
            String shape = ctx.param("offload-shape", q ? "tiny-demo" : "llama2-7b");
            double[] budgets = Arrays.stream(ctx.param("offload-budgets", q ? "0.8" : "0.25,0.5,0.75").split(","))
                    .mapToDouble(Double::parseDouble).toArray();
            return new Setup(shape, budgets, q ? new int[]{1, 2, 4, 8} : new int[]{1, 4, 16, 64, 256}, q ? 2 : 3, q ? 2 : 4);
        }
    }

    private AcceptanceVector vector;
    private double draftLevelSeconds = Double.NaN;

    @Override public String name() { return "offload"; }

    @Override public String summary() {
        return "Offloading: t(n)/t(1) and AR vs Sequoia s/token for a target streamed from disk under several memory "
                + "budgets (fp32 and --int8), and the H200 curves projected at the measured PCIe rate and at 25 GB/s.";
    }

    @Override public List<String> columns() {
        return List.of("variant", "budget", "kind", "n", "t_seconds", "t_ratio", "stall_fraction", "achieved_gbps", "levels",
                "g", "ar_s_per_token", "sequoia_s_per_token", "speedup");
    }

    @Override public int keyColumns() { return 2; }

    @Override
    public List<Task> plan(RunContext ctx) {
        Setup s = Setup.of(ctx);
        List<Task> tasks = new ArrayList<>();
        for (String variant : List.of("cpu fp32", "cpu int8")) {
            for (double fraction : s.budgets()) {
                List<String> key = List.of(variant, Rows.num(fraction));
                tasks.add(new Task(key, variant + " budget " + Rows.num(fraction), () -> cpuRows(ctx, s, key, fraction)));
            }
        }
        for (GpuCurves.Curve c : GpuCurves.read(GpuCurves.file(ctx)).curves()) {
            for (double gbps : new double[]{c.linkGbps(), PCIE4_GBPS}) {
                List<String> key = List.of("h200 " + c.scenario(), Rows.num(gbps) + " GB/s");
                tasks.add(new Task(key, key.get(0) + " at " + key.get(1), () ->
                        rows(key, c.over(gbps), null, vector(ctx), c.draftLevelSeconds())));
            }
        }
        return tasks;
    }

    private synchronized AcceptanceVector vector(RunContext ctx) {
        if (vector == null) {
            vector = AcceptanceRuns.measure(ctx.pair().engine(), Scalability.PROMPTS.subList(0, ctx.quick() ? 2 : 6),
                    ctx.quick() ? 16 : 64, 0.6, 2, ctx.seedFor("offload-acceptance")).pooled();
        }
        return vector;
    }

    /** The tiny pair's draft forward at width 8: the draft cost per tree level the CPU projections use. */
    private synchronized double draftLevelSeconds(RunContext ctx) {
        if (Double.isNaN(draftLevelSeconds)) {
            var e = ctx.pair().engine();
            draftLevelSeconds = VerificationProfiler.seconds(e.draftTransformer(),
                    dev.sequoia.engine.model.LayerSource.resident(e.draftTransformer().weights()), 64, 8, 5);
        }
        return draftLevelSeconds;
    }

    private List<List<String>> cpuRows(RunContext ctx, Setup s, List<String> key, double fraction) throws IOException {
        boolean int8 = key.get(0).endsWith("int8");
        Path model = model(ctx, s, int8);
        long budget = (long) (fraction * Files.size(model));
        var cfg = new OffloadBench.Config(model, budget, s.sizes(), s.iterations(), s.arTokens(), 2, 4L << 20,
                Files.size(model), PlanOverrides.NONE);
        OffloadBench.Result r;
        try (VectorMatMul kernels = new VectorMatMul(ctx.threads());
             Int8ActivationMatMul int8mm = int8 ? new Int8ActivationMatMul(kernels, true) : null) {
            r = OffloadBench.run(cfg, kernels, int8mm != null ? int8mm : kernels, line -> {});
        }
        SortedMap<Integer, Double> times = new TreeMap<>();
        r.sizes().forEach((n, v) -> times.put(n, v.seconds()));
        return rows(key, times, r, vector(ctx), draftLevelSeconds(ctx));
    }

    /** The target file: given with -P, else a synthetic model of the shape, generated once into the temp folder. */
    private static Path model(RunContext ctx, Setup s, boolean int8) throws IOException {
        String given = ctx.param(int8 ? "offload-int8-model" : "offload-model", null);
        if (given != null) return Path.of(given);
        TensorType type = int8 ? TensorType.Q8_0 : TensorType.F32;
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "sequoia-experiments",
                s.shape() + "-" + type.name().toLowerCase(Locale.ROOT) + "-seed1.gguf");
        if (!Files.isRegularFile(file)) {
            Files.createDirectories(file.getParent());
            Path partial = file.resolveSibling(file.getFileName() + ".partial");
            SyntheticModels.ofPreset(s.shape(), type, 1).writeGguf(partial);
            Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        return file;
    }

    private static List<List<String>> rows(List<String> key, SortedMap<Integer, Double> times, OffloadBench.Result r,
                                           AcceptanceVector p, double c) {
        VerificationTimes vt = new VerificationTimes(times);
        List<List<String>> rows = new ArrayList<>();
        for (var e : times.entrySet()) {
            var size = r == null ? null : r.sizes().get(e.getKey());
            rows.add(row(key, "t", e.getKey(), e.getValue(), e.getValue() / vt.at(1),
                    size == null ? Double.NaN : size.telemetry().stallFraction(),
                    size == null ? Double.NaN : size.telemetry().achievedGbps(), 0, Double.NaN, Double.NaN, Double.NaN));
        }
        TreeChoice choice = TreeOptimizer.optimize(p, vt, c, OptimizerFigure.MAX_LEVELS);
        double ar = r == null ? vt.at(1) : r.arSecondsPerToken();
        // the projection prices the step with this configuration's t(n); its AR baseline is measured decoding
        double sequoia = choice.timePerToken() * ar / vt.at(1);
        rows.add(row(key, "projection", choice.budget(), times.get(choice.budget()), times.get(choice.budget()) / vt.at(1),
                Double.NaN, Double.NaN, choice.levels(), choice.expectedTokens(), ar, sequoia));
        return rows;
    }

    private static List<String> row(List<String> key, String kind, int n, double t, double ratio, double stall, double gbps,
                                    int levels, double g, double ar, double sequoia) {
        List<String> row = new ArrayList<>(key);
        row.addAll(List.of(kind, Integer.toString(n), Rows.num(t), Rows.num(ratio), Rows.num(stall), Rows.num(gbps),
                Integer.toString(levels), Rows.num(g), Rows.num(ar), Rows.num(sequoia), Rows.num(ar / sequoia)));
        return row;
    }

    private static List<String> configs(List<Map<String, String>> rows) {
        return rows.stream().map(r -> r.get("variant") + " @ " + r.get("budget")).distinct().toList();
    }

    private static List<Map<String, String>> of(List<Map<String, String>> rows, String config, String kind) {
        return Rows.where(rows, x -> (x.get("variant") + " @ " + x.get("budget")).equals(config) && x.get("kind").equals(kind));
    }

    @Override
    public Figure figure(List<Map<String, String>> rows) {
        List<Figure.Series> ratios = new ArrayList<>(), points = new ArrayList<>();
        for (String c : configs(rows)) {
            var t = of(rows, c, "t");
            ratios.add(Figure.series(c, Rows.col(t, "n"), Rows.col(t, "t_ratio"), zeros(t.size()), Figure.Style.LINE));
        }
        var proj = Rows.where(rows, x -> x.get("kind").equals("projection"));
        for (String family : proj.stream().map(x -> x.get("variant")).distinct().toList()) {
            var f = Rows.where(proj, x -> x.get("variant").equals(family));
            points.add(Figure.series(family, Rows.col(f, "ar_s_per_token"), Rows.col(f, "sequoia_s_per_token"), zeros(f.size()),
                    Figure.Style.POINTS));
        }
        double lo = proj.stream().mapToDouble(x -> Math.min(Rows.d(x, "ar_s_per_token"), Rows.d(x, "sequoia_s_per_token"))).min().orElse(0.01);
        double hi = proj.stream().mapToDouble(x -> Rows.d(x, "ar_s_per_token")).max().orElse(1);
        points.add(Figure.series("no speedup (y = x)", List.of(lo, hi), List.of(lo, hi), List.of(0.0, 0.0), Figure.Style.REFERENCE));
        return new Figure(List.of(
                new Figure.Panel("t(n) / t(1), streamed target", "tokens verified n", "t(n) / t(1)", true, true, ratios),
                new Figure.Panel("Sequoia vs autoregressive, s/token", "autoregressive s/token", "Sequoia s/token (projected)",
                        true, true, points)));
    }

    private static List<Double> zeros(int n) { return java.util.Collections.nCopies(n, 0.0); }

    @Override
    public String section(List<Map<String, String>> rows, RunContext ctx) {
        Setup s = Setup.of(ctx);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, """
                CPU rows: the engine's offload bench (`bench-offload`) on a synthetic %s-shape target (random weights,
                seed 1; F32 for fp32, Q8_0 for --int8; or -P offload-model=FILE / -P offload-int8-model=FILE), budget =
                the given fraction of the file, t(n) the median of %d passes at n = %s. Sequoia s/token: the optimizer over
                that t(n) with the tiny pair's acceptance vector at T = 0.6 and the tiny draft's width-8 forward as the
                cost per level, scaled to the measured autoregressive s/token. H200 rows: experiments/device/curves.csv at
                the measured link rate and with the copy re-priced at 25 GB/s (t(n) + bytes x (1/25 GB/s - 1/measured)),
                draft 12 ms per level.

                """, s.shape(), s.iterations(), Arrays.toString(s.sizes())));
        List<List<String>> table = new ArrayList<>();
        for (String c : configs(rows)) {
            var t = of(rows, c, "t");
            var p = of(rows, c, "projection").getFirst();
            table.add(List.of(c, Rows.f(Rows.d(t.getLast(), "t_ratio"), 2) + " (n=" + t.getLast().get("n") + ")",
                    Rows.f(Rows.d(t.getFirst(), "stall_fraction"), 2), p.get("n") + ", " + p.get("levels"),
                    Rows.f(Rows.d(p, "g"), 2), Rows.f(Rows.d(p, "ar_s_per_token"), 4), Rows.f(Rows.d(p, "sequoia_s_per_token"), 4),
                    Rows.f(Rows.d(p, "speedup"), 2) + "x"));
        }
        b.append(Report.table(List.of("configuration (variant @ budget)", "t(max n)/t(1)", "stall at n=1", "tree: nodes, levels",
                "G", "AR s/token", "Sequoia s/token", "speedup"), table)).append('\n');
        b.append("""
                **Against the paper.** Table 2 runs Llama2-70B on an L40 over PCIe 4: 5.7 s/token for DeepSpeed-ZeRO-Inference,
                0.60-0.68 s/token for Sequoia with a 768-node tree (8.4-9.5x), resting on t(n) staying flat to hundreds of
                tokens while weights stream. The H200 rows reproduce that mechanism with this engine's measured curves (the
                copy dominates, so the optimizer picks the largest tree and the speedup is roughly G); re-pricing the copy at
                25 GB/s makes t(1) larger and flatter still, so the projected speedup grows toward the paper's. The speedups
                stay below the paper's because the acceptance vector is the tiny pair's (G in the table, against 10-11.7 at
                768 nodes for the paper's 70B/7B chat pairs) and the draft here costs 12 ms per level. The CPU rows stream from
                this machine's disk; with a target that fits in the page cache they measure the copy path rather than a
                disk-bound pass, so read them as the pipeline's behaviour, not as the paper's regime.
                """);
        return b.toString();
    }
}
