package dev.sequoia.engine.speculative;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.Generation;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.optimize.TreeChoice;
import dev.sequoia.optimize.VerificationTimes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The {@code auto} policy plans each shared pass (issue 18): with the optimizer choosing the size, the pass's
 * tokens are split between the active sessions by {@link dev.sequoia.optimize.BatchTreeOptimizer}, re-planned
 * when the mix of sessions changes, and the engine's sessions still give plain greedy output. The pair's
 * profiles are planted (no measuring): the draft's published vector and a t(n) of the shape wanted.
 */
class PassPlanTest {
    private static final double[] PUBLISHED_T1 = {.6504, .1137, .0547, .0340, .0232, .0174, .0134, .0107};
    private static final String CONFIGURATION = "planted";

    private static AutoTree planted(Path root, String times, int budget) {
        PairProfiles profiles = new PairProfiles(root, Fixtures.target(), Fixtures.draft());
        for (double t : new double[]{0, 1}) {
            profiles.saveAcceptance(new AcceptanceMeasurer.Result(PUBLISHED_T1, 0.1, 100, 8, t, 1));
        }
        profiles.saveProfile(CONFIGURATION, new VerificationProfiler.Profile(VerificationTimes.parse(times), 0.01));
        return new AutoTree(null, null, null, null, profiles, CONFIGURATION, budget, 0);
    }

    @Test
    void aComputeBoundPassGivesEachOfMoreSessionsASmallerTree(@TempDir Path root) {
        AutoTree auto = planted(root, "1=1,2=1.6,4=2.8,8=5,16=9.5,32=18,64=35,128=70", 0);
        int alone = auto.forSampling(1, 1).maxSize();
        List<TreeSpec> four = auto.forPass(Collections.nCopies(4, new TreeProvider.Setting(1, 1)));
        assertEquals(4, four.size());
        for (TreeSpec t : four) assertTrue(t.maxSize() <= alone, t.maxSize() + " nodes vs " + alone + " alone");
        assertEquals(4, auto.lastPassPlan().sessions().size());
        // a session leaves: the next pass re-plans for three
        List<TreeSpec> three = auto.forPass(Collections.nCopies(3, new TreeProvider.Setting(1, 1)));
        assertEquals(3, three.size());
        assertEquals(3, auto.lastPassPlan().sessions().size());
    }

    @Test
    void aPassCarryingPromptRowsPlansSmallerTrees(@TempDir Path root) {
        // flat to 64 rows, steep after: a joiner's 60 prompt rows leave little room for trees in the same pass
        AutoTree auto = planted(root, "1=1,16=1.01,32=1.02,64=1.05,128=2.1,256=4.2", 0);
        List<TreeProvider.Setting> two = Collections.nCopies(2, new TreeProvider.Setting(1, 1));
        int without = auto.forPass(two).stream().mapToInt(TreeSpec::maxSize).sum();
        int with = auto.forPass(two, 60).stream().mapToInt(TreeSpec::maxSize).sum();
        assertTrue(with < without, with + " tree nodes beside 60 prompt rows, " + without + " without");
        assertEquals(without, auto.forPass(two, 0).stream().mapToInt(TreeSpec::maxSize).sum(), "plans kept per prompt rows");
    }

    @Test
    void aFlatPassKeepsTreesAndMixedSettingsGetTheirOwn(@TempDir Path root) {
        AutoTree auto = planted(root, "1=1,2=1,4=1,8=1,16=1.01,32=1.02,64=1.03,128=1.05", 0);
        List<TreeProvider.Setting> mix = List.of(new TreeProvider.Setting(1, 1), new TreeProvider.Setting(0, 1),
                new TreeProvider.Setting(1, 1));
        List<TreeSpec> plan = auto.forPass(mix);
        assertEquals(3, plan.size());
        double g = auto.lastPassPlan().sessions().stream().mapToDouble(TreeChoice::expectedTokens).min().orElseThrow();
        assertTrue(g > 2, "every session keeps a useful tree in a flat pass: " + g + " tokens/step");
        assertTrue(auto.lastPassPlan().passTokens() <= 128);
        assertNull(planted(root.resolve("given"), "1=1,2=1", 8).forPass(mix), "a given size is kept per session");
    }

    @Test
    void engineSessionsUnderPassPlansGiveGreedyOutput(@TempDir Path root) {
        AutoTree auto = planted(root, "1=1,2=1.1,4=1.2,8=1.5,16=2,32=3,64=5,128=9", 0);
        ModelSpec t = Fixtures.targetSpec();
        ModelSpec d = Fixtures.draftSpec();
        String[] prompts = {"Once upon a time", "The little dog", "Lily and Tom went to the park"};
        List<int[]> plain = new ArrayList<>();
        try (Engine e = Engine.open(EngineConfig.builder(t).threads(2).build())) {
            for (String p : prompts) {
                try (Session s = e.openSession()) {
                    plain.add(s.generate(GenerateRequest.greedy(p, 40)).tokens());
                }
            }
        }
        try (Engine e = Engine.open(EngineConfig.builder(t).draft(d).tree("auto").threads(2).build(), auto)) {
            List<Session> sessions = new ArrayList<>();
            List<Generation> running = new ArrayList<>();
            for (String p : prompts) {
                Session s = e.openSession();
                sessions.add(s);
                running.add(s.generate(GenerateRequest.greedy(p, 40), null));
            }
            for (int i = 0; i < prompts.length; i++) {
                GenerationResult r = running.get(i).await();
                assertArrayEquals(plain.get(i), r.tokens(), prompts[i]);
            }
            assertNotNull(auto.lastPassPlan(), "passes were planned for several sessions");
            sessions.forEach(Session::close);
        }
    }
}
