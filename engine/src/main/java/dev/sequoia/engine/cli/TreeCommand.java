package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.optimize.TreeChoice;
import dev.sequoia.optimize.TreeOptimizer;
import dev.sequoia.optimize.VerificationTimes;
import dev.sequoia.tree.AcceptanceVector;
import dev.sequoia.tree.GrowmapJson;
import dev.sequoia.tree.LevelBoundedTreeDp;
import dev.sequoia.tree.Tree;
import dev.sequoia.tree.UnboundedTreeDp;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sequoia tree}: the best Sequoia tree for an acceptance vector, either for a fixed budget (and
 * optional level bound) or, given verification times, the hardware-aware optimizer's choice of budget and
 * levels. Prints {@code expected_tokens}, {@code budget}, {@code depth} (levels including the root),
 * {@code predicted_speedup} for the optimizer, and the tree as growmap JSON.
 */
@Command(name = "tree", mixinStandardHelpOptions = true,
        description = "Build the optimal Sequoia tree for an acceptance vector (optionally choosing size and "
                + "depth from measured verification times).")
public final class TreeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    static final class Acceptance {
        @Option(names = "--acceptance", paramLabel = "P1,P2,...",
                description = "Acceptance vector p_1..p_B (unconditional per-rank acceptance).")
        String inline;

        @Option(names = "--acceptance-file", paramLabel = "FILE",
                description = "File holding the acceptance vector (numbers separated by commas or spaces).")
        Path file;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Acceptance acceptance;

    @Option(names = "--budget", paramLabel = "N", description = "Tree size n, root included.")
    Integer budget;

    @Option(names = "--depth", paramLabel = "D", description = "At most D levels, root included (default: unbounded).")
    Integer depth;

    @Option(names = "--times", paramLabel = "N=T,...",
            description = "Verification times t(n) per budget, e.g. 1=10,2=10,4=10,8=12; runs the optimizer.")
    String times;

    @Option(names = "--draft-time", paramLabel = "C", description = "Draft time per level (optimizer), same unit as --times.")
    Double draftTime;

    @Option(names = "--max-depth", paramLabel = "D", defaultValue = "10",
            description = "Largest level count the optimizer considers (default ${DEFAULT-VALUE}).")
    int maxDepth;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    /** The numbers to print, in order, and the tree. */
    private record Result(ObjectNode summary, Tree tree) {
    }

    @Override
    public Integer call() throws IOException {
        AcceptanceVector p = acceptance.file != null ? AcceptanceVector.read(acceptance.file)
                : AcceptanceVector.parse(acceptance.inline, "--acceptance");
        Result r = times != null ? optimize(p) : fixedBudget(p);
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            r.summary().set("tree", mapper.readTree(GrowmapJson.write(r.tree())));
            w.println(mapper.writeValueAsString(r.summary()));
        } else {
            r.summary().properties().forEach(e -> w.println(e.getKey() + " " + e.getValue().asText()));
            w.print(GrowmapJson.write(r.tree()));
        }
        w.flush();
        return 0;
    }

    private Result fixedBudget(AcceptanceVector p) {
        if (budget == null) {
            throw new IllegalArgumentException("--budget is required unless --times runs the optimizer");
        }
        if (draftTime != null) {
            throw new IllegalArgumentException("--draft-time only applies with --times");
        }
        if (depth == null) {
            UnboundedTreeDp dp = UnboundedTreeDp.solve(p, budget);
            return result(dp.value(budget), dp.tree(budget));
        }
        LevelBoundedTreeDp dp = LevelBoundedTreeDp.solve(p, budget, depth);
        return result(dp.value(budget, depth), dp.tree(budget, depth));
    }

    private Result optimize(AcceptanceVector p) {
        if (budget != null || depth != null) {
            throw new IllegalArgumentException("--budget and --depth conflict with --times: the optimizer chooses them");
        }
        if (draftTime == null) {
            throw new IllegalArgumentException("--times needs --draft-time (the draft's time per level)");
        }
        TreeChoice choice = TreeOptimizer.optimize(p, VerificationTimes.parse(times), draftTime, maxDepth);
        Result r = result(choice.expectedTokens(), choice.tree());
        r.summary().put("time_per_token", choice.timePerToken());
        r.summary().put("predicted_speedup", choice.predictedSpeedup());
        return r;
    }

    private static Result result(double expectedTokens, Tree tree) {
        ObjectNode out = new ObjectMapper().createObjectNode();
        out.put("expected_tokens", expectedTokens);
        out.put("budget", tree.size());
        out.put("depth", tree.levels());
        return new Result(out, tree);
    }
}
