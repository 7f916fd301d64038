package dev.sequoia.engine.speculative;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.EngineConfig;
import dev.sequoia.engine.api.GenerateRequest;
import dev.sequoia.engine.api.GenerationResult;
import dev.sequoia.engine.api.ModelSpec;
import dev.sequoia.engine.api.Session;
import dev.sequoia.engine.testing.Golden;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.tree.AcceptanceVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Greedy speculative decoding on the real pair (stories260K and its distilled draft) is token for token
 * plain greedy decoding, for every tree shape.
 */
class SpeculativeGenerationTest {
    private static Engine plain;
    private static List<Golden.Case> cases;

    @BeforeAll
    static void open() {
        cases = Golden.cases(Fixtures.targetGolden());
        plain = Engine.open(EngineConfig.builder(Fixtures.targetSpec()).threads(2).build());
    }

    @AfterAll
    static void close() {
        if (plain != null) plain.close();
    }

    static EngineConfig speculative(String tree) {
        ModelSpec target = Fixtures.targetSpec();
        ModelSpec draft = Fixtures.draftSpec();
        return EngineConfig.builder(target).draft(draft).tree(tree).threads(2).build();
    }

    @ParameterizedTest(name = "tree {0}")
    @ValueSource(strings = {"chain:1", "chain:5", "4x3", "dynamic:32", "sequoia:16", "sequoia:128"})
    void greedySpeculativeOutputIsGreedyOutput(String tree) {
        boolean sequoia = tree.startsWith("sequoia:");
        EngineConfig config = speculative(sequoia ? "auto" : tree);
        TreeProvider trees = sequoia ? sequoiaTree(Integer.parseInt(tree.substring(8))) : null;
        try (Engine e = Engine.open(config, trees)) {
            for (Golden.Case c : cases) {
                    GenerationResult expected = generate(plain, c.prompt(), 96);
                    GenerationResult actual = generate(e, c.prompt(), 96);
                    assertArrayEquals(c.greedyTokens(), java.util.Arrays.copyOf(actual.tokens(), 48), c.prompt());
                    assertArrayEquals(expected.tokens(), actual.tokens(), tree + ": '" + c.prompt() + "'");
                    assertEquals(expected.text(), actual.text());
                    assertTrue(actual.stats().tokensPerStep() > 1.0, "speculation accepted tokens: "
                            + actual.stats().tokensPerStep());
            }
        }
    }

    /** A Sequoia DP tree over the greedy acceptance vector published with the draft. */
    private static TreeProvider sequoiaTree(int n) {
        AcceptanceVector greedy = AcceptanceVector.of(.7751, .1017, .0533, .0420, .0108, .0019, .0019, .0025);
        return TreeProvider.fixed(AutoTree.fixedSize(greedy, n, 0));
    }

    private static GenerationResult generate(Engine engine, String prompt, int n) {
        try (Session s = engine.openSession()) {
            return s.generate(GenerateRequest.greedy(prompt, n));
        }
    }
}
