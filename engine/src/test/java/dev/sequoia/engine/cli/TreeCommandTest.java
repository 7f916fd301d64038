package dev.sequoia.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.tree.GrowmapJson;
import dev.sequoia.tree.Tree;
import dev.sequoia.tree.TreeShapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sequoia tree}: DP goldens, the reference demo's optimizer choice, and clear usage errors. */
class TreeCommandTest {
    @TempDir
    Path dir;

    private static JsonNode json(CliRun r) throws IOException {
        assertEquals(0, r.exit(), r.err());
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void fixedBudgetPrintsTheGoldenExpectedTokensAndAValidGrowmap() throws IOException {
        JsonNode unbounded = json(CliRun.of("tree", "--acceptance", ".6,.2,.1", "--budget", "10", "--json"));
        assertEquals(2.92336, unbounded.get("expected_tokens").asDouble(), 1e-9);
        assertEquals(10, unbounded.get("budget").asInt());
        Tree tree = GrowmapJson.read(unbounded.get("tree").toString(), "output");
        assertEquals(10, tree.size());
        assertEquals(tree.levels(), unbounded.get("depth").asInt());

        JsonNode threeLevels = json(CliRun.of("tree", "--acceptance", ".6,.2,.1", "--budget", "10", "--depth", "3", "--json"));
        assertEquals(2.66, threeLevels.get("expected_tokens").asDouble(), 1e-9);
        assertTrue(threeLevels.get("depth").asInt() <= 3);
    }

    @Test
    void optimizerReproducesTheReferenceDemoChoice() throws IOException {
        Path file = dir.resolve("acc.txt");
        Files.writeString(file, "[0.634, 0.108, 0.057, 0.0225]\n");
        JsonNode r = json(CliRun.of("tree", "--acceptance-file", file.toString(), "--times", "1=10,2=10,4=10,8=12,16=14,32=18",
                "--draft-time", "0.3", "--max-depth", "10", "--json"));
        assertEquals(4, r.get("budget").asInt());
        assertEquals(4, r.get("depth").asInt());
        assertEquals(2.046, r.get("predicted_speedup").asDouble(), 5e-3);
        assertEquals(TreeShapes.chain(3), GrowmapJson.read(r.get("tree").toString(), "output"));
    }

    @Test
    void textOutputListsTheNumbersThenTheGrowmap() {
        CliRun r = CliRun.of("tree", "--acceptance", ".6 .2 .1", "--budget", "4");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("expected_tokens 2.176\nbudget 4\ndepth "), r.out());
        assertTrue(r.out().contains("\"Successors\": "), r.out());
    }

    @Test
    void badInputsAreOneLineErrors() {
        CliRun sum = CliRun.of("tree", "--acceptance", ".9,.2", "--budget", "4");
        assertEquals(2, sum.exit());
        assertTrue(sum.err().contains("--acceptance: acceptance vector sums to"), sum.err());
        CliRun noBudget = CliRun.of("tree", "--acceptance", ".5");
        assertEquals(2, noBudget.exit());
        assertTrue(noBudget.err().contains("--budget is required"), noBudget.err());
        CliRun noDraft = CliRun.of("tree", "--acceptance", ".5", "--times", "1=1,2=1");
        assertEquals(2, noDraft.exit());
        assertTrue(noDraft.err().contains("--times needs --draft-time"), noDraft.err());
        CliRun both = CliRun.of("tree", "--budget", "3");
        assertEquals(2, both.exit(), "picocli usage error: one acceptance source is required");
    }
}
