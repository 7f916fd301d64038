package dev.sequoia.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.backend.offload.OffloadSettings;
import dev.sequoia.engine.speculative.AutoTree;
import dev.sequoia.engine.speculative.PairProfiles;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.offload.plan.PlanOverrides;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sequoia optimize} on the tiny real pair with the target streamed: it times t(n) for the requested
 * sizes, chooses a tree, and caches the profile where {@code generate --tree auto} with the same budget finds it.
 */
class OptimizeCommandTest {
    @TempDir
    Path dir;

    @Test
    void streamedPairGetsAChoiceAndGenerateFindsTheCachedProfile() throws IOException {
        // Copies: the pair's cache key includes the paths, so this test's measurements stay its own.
        Path target = Files.copy(Fixtures.target(), dir.resolve("target.bin"));
        Path draft = Files.copy(Fixtures.draft(), dir.resolve("draft.bin"));
        Path profiles = new PairProfiles(PairProfiles.defaultRoot(), target, draft).dir();
        try {
            CliRun r = CliRun.of("optimize", "--model", target.toString(), "--draft", draft.toString(), "--tokenizer",
                    Fixtures.tokenizer().toString(), "--memory-budget", "64MiB", "--resident-layers", "0",
                    "--slots", "2", "--sizes", "1,2,4,8,16", "--repetitions", "1", "--prefix", "8",
                    "--acceptance-steps", "4", "--context", "128", "--threads", "1", "--json");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.err().contains("residency plan"), "the plan is printed: " + r.err());
            JsonNode j = new ObjectMapper().readTree(r.out());
            List<String> sizes = new ArrayList<>();
            j.get("t_seconds").fieldNames().forEachRemaining(sizes::add);
            assertEquals(List.of("1", "2", "4", "8", "16"), sizes);
            assertEquals(4, j.get("plan").get("streamed_layers").asInt());
            assertTrue(sizes.contains(j.get("budget").asText()), "the budget is a measured size: " + j);
            assertTrue(j.get("depth").asInt() >= 1 && j.get("expected_tokens_per_step").asDouble() >= 1, j.toString());
            assertTrue(j.get("predicted_speedup").asDouble() > 0 && j.get("ar_s_per_token").asDouble() > 0, j.toString());
            assertEquals(j.get("predicted_s_per_token").asDouble() * j.get("expected_tokens_per_step").asDouble(),
                    j.get("predicted_s_per_step").asDouble(), 1e-12);

            EngineConfig config = EngineConfig.builder(new ModelSpec(target, Fixtures.tokenizer()))
                    .draft(new ModelSpec(draft, Fixtures.tokenizer())).tree("auto").threads(1).prefixCacheBytes(0)
                    .contextLength(128)
                    .offload(new OffloadSettings(64L << 20, new PlanOverrides(new TreeSet<>(Set.of(0)), 2), 2, 4L << 20))
                    .build();
            try (Engine engine = Engine.open(config)) {
                assertEquals(j.get("configuration").asText(), engine.profileConfiguration());
                var cached = ((AutoTree) engine.trees()).profile();
                assertEquals(j.get("t_seconds").get("16").asDouble(), cached.times().at(16), 0.0,
                        "generate --tree auto must use the profile optimize measured, not measure its own");
                assertEquals(16, engine.trees().maxSize(), "the tree's KV room follows the cached profile");
            }
            try (Engine engine = Engine.open(config.toBuilder().budget(8).build())) {
                engine.trees().forSampling(0, 1);
                var c = ((AutoTree) engine.trees()).lastChoice();
                double t8 = j.get("t_seconds").get("8").asDouble();
                assertEquals(8, c.budget(), "a given size is predicted from the cached profile too");
                // the draft is priced per level at that level's width, from the widths optimize timed
                var byWidth = j.get("draft_s_by_width");
                assertEquals(List.of("1", "8", "32"), fieldNames(byWidth));
                var profile = ((AutoTree) engine.trees()).profile();
                assertEquals(byWidth.get("1").asDouble(), profile.draftSeconds(1), 0.0);
                assertEquals(profile.draftSecondsFor(c.tree()) + t8, c.timePerToken() * c.expectedTokens(), 1e-9);
            }
        } finally {
            deleteTree(profiles);
        }
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void budgetTooSmallForTwoSlotsIsAClearError() {
        CliRun r = CliRun.of("optimize", "--model", Fixtures.target().toString(), "--draft", Fixtures.draft().toString(),
                "--tokenizer", Fixtures.tokenizer().toString(), "--memory-budget", "512KiB", "--context", "64");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("too small") && r.err().contains("2 slots"), r.err());
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
