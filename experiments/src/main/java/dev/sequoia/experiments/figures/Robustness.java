package dev.sequoia.experiments.figures;

import dev.sequoia.decode.StaticTreePolicy;
import dev.sequoia.experiments.output.Figure;
import dev.sequoia.experiments.output.Report;
import dev.sequoia.experiments.pair.PairRunner;
import dev.sequoia.experiments.tokensperstep.AcceptanceRuns;
import dev.sequoia.sample.SamplingParams;
import dev.sequoia.tree.Tree;
import dev.sequoia.tree.UnboundedTreeDp;
import dev.sequoia.verify.SequoiaVerifier;
import dev.sequoia.verify.SpecInferVerifier;
import dev.sequoia.verify.TopKVerifier;
import dev.sequoia.verify.Verifier;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Paper Fig. 4-right and Table 8: tokens per step of the same tree under three verifiers (Sequoia's sampling
 * without replacement, SpecInfer's with replacement, top-k) across temperatures 0.2..1.2 (top-p 1) and top-p
 * 0.8..1 (T = 0.6), on the real tiny pair. The tree is Sequoia's DP tree for the acceptance vector at T = 0.6,
 * held fixed.
 */
public final class Robustness implements Experiment {
    static final List<String> VERIFIERS = List.of("sequoia", "specinfer", "top-k");

    record Setup(int treeSize, double[] temperatures, double[] topPs, int prompts, int tokens, int seeds) {
        static Setup of(boolean quick) {
            return quick ? new Setup(8, new double[]{0.2, 1.0}, new double[]{0.8}, 2, 16, 1)
                    : new Setup(64, new double[]{0.2, 0.4, 0.6, 0.8, 1.0, 1.2}, new double[]{0.8, 0.9, 1.0}, 12, 64, 3);
        }
    }

    private Tree tree;

    @Override public String name() { return "robustness"; }

    @Override public String summary() {
        return "Tokens per step of one fixed Sequoia tree under the Sequoia, SpecInfer and top-k verifiers, "
                + "T = 0.2..1.2 (top-p 1) and top-p 0.8..1 (T = 0.6), on the real tiny pair.";
    }

    @Override public List<String> columns() {
        return List.of("sweep", "temperature", "top_p", "verifier", "nodes", "tokens_per_step", "stderr", "steps", "generations");
    }

    @Override public int keyColumns() { return 4; }

    static Verifier verifier(String name) {
        return switch (name) {
            case "sequoia" -> new SequoiaVerifier();
            case "specinfer" -> new SpecInferVerifier();
            case "top-k" -> new TopKVerifier();
            default -> throw new IllegalArgumentException("unknown verifier " + name);
        };
    }

    @Override
    public List<Task> plan(RunContext ctx) {
        Setup s = Setup.of(ctx.quick());
        List<Task> tasks = new ArrayList<>();
        for (double t : s.temperatures()) addSweep(tasks, ctx, s, "temperature", t, 1.0);
        for (double p : s.topPs()) addSweep(tasks, ctx, s, "top-p", 0.6, p);
        return tasks;
    }

    private void addSweep(List<Task> tasks, RunContext ctx, Setup s, String sweep, double t, double topP) {
        for (String v : VERIFIERS) {
            List<String> key = List.of(sweep, Rows.num(t), Rows.num(topP), v);
            tasks.add(new Task(key, sweep + " T=" + Rows.num(t) + " p=" + Rows.num(topP) + " " + v, () -> {
                Tree fixed = tree(ctx, s);
                PairRunner runner = new PairRunner(ctx.pair().engine(), Scalability.PROMPTS.subList(0, s.prompts()), s.tokens());
                Supplier<dev.sequoia.decode.TreePolicy> policy = () -> new StaticTreePolicy(fixed);
                var m = runner.measure(policy, verifier(v), SamplingParams.of(t, topP), fixed.size(), s.seeds(),
                        ctx.seedFor(key.toArray())).measurement();
                List<String> row = new ArrayList<>(key);
                row.addAll(List.of(Integer.toString(fixed.size()), Rows.num(m.tokensPerStep()), Rows.num(m.standardError()),
                        Long.toString(m.steps()), Integer.toString(m.generations())));
                return List.of(row);
            }));
        }
    }

    /** The fixed tree: the DP's best tree of the setup's size for the pair's vector at T = 0.6. */
    private synchronized Tree tree(RunContext ctx, Setup s) {
        if (tree == null) {
            AcceptanceRuns p = AcceptanceRuns.measure(ctx.pair().engine(), Scalability.PROMPTS.subList(0, Math.min(12, 2 * s.prompts())),
                    s.tokens(), 0.6, 2, ctx.seedFor("robustness-acceptance"));
            tree = UnboundedTreeDp.solve(p.pooled(), s.treeSize()).tree(s.treeSize());
        }
        return tree;
    }

    @Override
    public Figure figure(List<Map<String, String>> rows) {
        List<Figure.Panel> panels = new ArrayList<>();
        for (String sweep : List.of("temperature", "top-p")) {
            String column = sweep.equals("temperature") ? "temperature" : "top_p";
            List<Figure.Series> series = new ArrayList<>();
            for (String v : VERIFIERS) {
                var r = Rows.where(rows, x -> x.get("sweep").equals(sweep) && x.get("verifier").equals(v));
                series.add(Figure.series(v, Rows.col(r, column), Rows.col(r, "tokens_per_step"), Rows.col(r, "stderr"), Figure.Style.LINE));
            }
            panels.add(new Figure.Panel(sweep.equals("temperature") ? "across temperature (top-p 1)" : "across top-p (T = 0.6)",
                    sweep.equals("temperature") ? "temperature" : "top-p", "tokens per target forward", false, false, series));
        }
        return new Figure(panels);
    }

    @Override
    public String section(List<Map<String, String>> rows, RunContext ctx) {
        Setup s = Setup.of(ctx.quick());
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, """
                One tree for every cell: Sequoia's DP tree of %d nodes for the pair's acceptance vector at T = 0.6.
                Each cell: %d prompts x %d tokens, %d generations per prompt; tokens per target forward ± standard
                error clustered by generation. Children are proposed by each verifier's own rule (without replacement,
                i.i.d. with replacement, the draft's top k).

                """, s.treeSize(), s.prompts(), s.tokens(), s.seeds()));
        for (String sweep : List.of("temperature", "top-p")) {
            var r = Rows.where(rows, x -> x.get("sweep").equals(sweep));
            List<String> values = r.stream().map(x -> sweep.equals("temperature") ? x.get("temperature") : x.get("top_p"))
                    .distinct().toList();
            List<List<String>> table = new ArrayList<>();
            for (String value : values) {
                List<String> line = new ArrayList<>(List.of(value));
                for (String v : VERIFIERS) {
                    var cell = Rows.where(r, x -> x.get("verifier").equals(v)
                            && (sweep.equals("temperature") ? x.get("temperature") : x.get("top_p")).equals(value));
                    line.add(cell.isEmpty() ? "-" : Rows.pm(Rows.d(cell.getFirst(), "tokens_per_step"), Rows.d(cell.getFirst(), "stderr"), 2));
                }
                table.add(line);
            }
            List<String> header = new ArrayList<>(List.of(sweep.equals("temperature") ? "T (top-p 1)" : "top-p (T = 0.6)"));
            header.addAll(VERIFIERS);
            b.append(Report.table(header, table)).append('\n');
        }
        b.append(comparison(rows)).append('\n');
        return b.toString();
    }

    private static String comparison(List<Map<String, String>> rows) {
        var temps = Rows.where(rows, x -> x.get("sweep").equals("temperature"));
        double maxOverSpecInfer = 0, maxOverTopK = 0;
        String atSi = "-", atTk = "-";
        int best = 0, cells = 0;
        for (String sweep : List.of("temperature", "top-p")) {
            var r = Rows.where(rows, x -> x.get("sweep").equals(sweep));
            for (String key : r.stream().map(x -> x.get("temperature") + "/" + x.get("top_p")).distinct().toList()) {
                var cell = Rows.where(r, x -> (x.get("temperature") + "/" + x.get("top_p")).equals(key));
                var seq = Rows.where(cell, x -> x.get("verifier").equals("sequoia")).getFirst();
                boolean top = cell.stream().allMatch(x -> Rows.d(seq, "tokens_per_step") + 2 * Math.hypot(Rows.d(seq, "stderr"),
                        Rows.d(x, "stderr")) >= Rows.d(x, "tokens_per_step"));
                best += top ? 1 : 0;
                cells++;
            }
        }
        for (String t : temps.stream().map(x -> x.get("temperature")).distinct().toList()) {
            double seq = value(temps, t, "sequoia"), si = value(temps, t, "specinfer"), tk = value(temps, t, "top-k");
            if (seq / si > maxOverSpecInfer) { maxOverSpecInfer = seq / si; atSi = t; }
            if (seq / tk > maxOverTopK) { maxOverTopK = seq / tk; atTk = t; }
        }
        return String.format(Locale.ROOT, "**Against the paper.** Sequoia's verifier is the best or within two standard "
                + "errors of the best in %d of %d settings above; across temperatures it reaches up to %.2fx SpecInfer's "
                + "tokens/step (at T = %s) and up to %.2fx top-k's (at T = %s). The paper's Fig. 4-right (JF68M -> Llama2-7B, "
                + "a fixed (128,6) tree, T = 0-1) reports up to 1.65x and 1.27x and Sequoia best at every temperature, "
                + "SpecInfer falling behind at low temperature (its i.i.d. children repeat the draft's mode, which the "
                + "sharpened target rejects) and top-k at high temperature (its children are fixed while the target spreads "
                + "out); Table 8 has Sequoia ahead at every top-p in 0.8-1. The gaps here differ in size because the tree is "
                + "smaller (%s nodes) and the stories260K draft disagrees with its target differently from JF68M with "
                + "Llama2-7B.", best, cells, maxOverSpecInfer, atSi, maxOverTopK, atTk,
                temps.isEmpty() ? "-" : temps.getFirst().get("nodes"));
    }

    private static double value(List<Map<String, String>> rows, String t, String verifier) {
        return Rows.d(Rows.where(rows, x -> x.get("temperature").equals(t) && x.get("verifier").equals(verifier)).getFirst(),
                "tokens_per_step");
    }
}
