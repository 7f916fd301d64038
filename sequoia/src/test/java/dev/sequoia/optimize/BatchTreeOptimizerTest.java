package dev.sequoia.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sequoia.tree.AcceptanceVector;
import dev.sequoia.tree.LevelBoundedTreeDp;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchTreeOptimizerTest {
    private static final AcceptanceVector GOOD = AcceptanceVector.of(.65, .11, .055, .034, .023, .017);
    private static final AcceptanceVector POOR = AcceptanceVector.of(.35, .12, .06, .03);
    /** A pass that streams its weights: t(n) nearly flat up to 128 tokens. */
    private static final VerificationTimes STREAMED =
            VerificationTimes.parse("1=1,2=1,4=1,8=1.01,16=1.02,32=1.03,64=1.04,128=1.1");
    /** A compute-bound pass: t(n) grows with n from the start. */
    private static final VerificationTimes COMPUTE =
            VerificationTimes.parse("1=1,2=1.6,4=2.8,8=5,16=9.5,32=18,64=35,128=70");

    @Test
    void oneSessionGetsAtLeastWhatTheSingleOptimizerPredicts() {
        BatchTreeOptimizer.Plan plan = BatchTreeOptimizer.optimize(List.of(GOOD), STREAMED, 0.02, 12, 128);
        TreeChoice single = TreeOptimizer.optimize(GOOD, STREAMED, 0.02, 12);
        assertTrue(plan.tokensPerSecond() >= 1 / single.timePerToken() - 1e-12,
                plan.tokensPerSecond() + " vs " + 1 / single.timePerToken());
        assertEquals(plan.sessions().getFirst().budget(), plan.sessions().getFirst().tree().size());
    }

    @Test
    void aFlatPassGivesEverySessionTheTreeItWouldHaveAloneAndScalesThroughput() {
        BatchTreeOptimizer.Plan one = BatchTreeOptimizer.optimize(List.of(GOOD), STREAMED, 0.02, 12, 32);
        BatchTreeOptimizer.Plan four = BatchTreeOptimizer.optimize(Collections.nCopies(4, GOOD), STREAMED, 0.02, 12, 32);
        double alone = one.sessions().getFirst().expectedTokens();
        for (TreeChoice c : four.sessions()) {
            assertTrue(c.expectedTokens() >= 0.75 * alone, c.expectedTokens() + " tokens/step vs " + alone + " alone");
        }
        assertTrue(four.tokensPerSecond() >= 3 * one.tokensPerSecond(),
                four.tokensPerSecond() + " vs " + one.tokensPerSecond());
        assertTrue(four.passTokens() <= 128);
    }

    @Test
    void aComputeBoundPassSplitsTheBudgetIntoSmallerTrees() {
        BatchTreeOptimizer.Plan one = BatchTreeOptimizer.optimize(List.of(GOOD), COMPUTE, 0.05, 12, 128);
        BatchTreeOptimizer.Plan eight = BatchTreeOptimizer.optimize(Collections.nCopies(8, GOOD), COMPUTE, 0.05, 12, 128);
        int largest = eight.sessions().stream().mapToInt(TreeChoice::budget).max().orElseThrow();
        assertTrue(largest <= one.sessions().getFirst().budget(), "8 sessions: " + largest + " nodes at most, alone "
                + one.sessions().getFirst().budget());
        assertTrue(eight.sessions().stream().allMatch(c -> c.budget() >= 1));
    }

    @Test
    void promptRowsInThePassAreCostedAndShrinkTheTreesPastTheKnee() {
        // a knee at 64 rows: flat below, steep after; 60 rows of a joiner's prompt leave little room for trees
        VerificationTimes knee = VerificationTimes.parse("1=1,16=1.01,32=1.02,64=1.05,128=2.1,256=4.2");
        List<AcceptanceVector> two = List.of(GOOD, GOOD);
        BatchTreeOptimizer.Plan none = BatchTreeOptimizer.optimize(two, knee, 0.01, 12, 64);
        assertEquals(none.passTokens(), BatchTreeOptimizer.optimize(two, knee, 0.01, 12, 64, 0).passTokens());
        BatchTreeOptimizer.Plan prompted = BatchTreeOptimizer.optimize(two, knee, 0.01, 12, 64, 60);
        assertTrue(prompted.passTokens() < none.passTokens(), "with 60 prompt rows " + prompted.passTokens()
                + " tree tokens, without " + none.passTokens());
        assertEquals(prompted.levels() * 0.01 + knee.estimate(prompted.passTokens() + 60), prompted.passSeconds(), 1e-12,
                "the pass is priced with its prompt rows");
        assertThrows(IllegalArgumentException.class, () -> BatchTreeOptimizer.optimize(two, knee, 0.01, 12, 64, -1));
    }

    @Test
    void theSplitIsTheExhaustiveBestForTwoSessions() {
        List<AcceptanceVector> pair = List.of(GOOD, POOR);
        double c = 0.03;
        BatchTreeOptimizer.Plan plan = BatchTreeOptimizer.optimize(pair, COMPUTE, c, 6, 24);
        LevelBoundedTreeDp a = LevelBoundedTreeDp.solve(GOOD, 24, 6);
        LevelBoundedTreeDp b = LevelBoundedTreeDp.solve(POOR, 24, 6);
        double best = Double.NEGATIVE_INFINITY;
        for (int d = 1; d <= 6; d++) {
            for (int n1 = 1; n1 <= 24; n1++) {
                for (int n2 = 1; n2 <= 24; n2++) {
                    double g = a.value(n1, d) + b.value(n2, d);
                    if (g > Double.NEGATIVE_INFINITY) best = Math.max(best, g / (d * c + COMPUTE.estimate(n1 + n2)));
                }
            }
        }
        assertEquals(best, plan.tokensPerSecond(), 1e-12);
        assertTrue(plan.sessions().get(0).budget() >= plan.sessions().get(1).budget(),
                "the better-accepting session gets the bigger tree");
    }

    @Test
    void estimateInterpolatesAndExtends() {
        assertEquals(1.0, STREAMED.estimate(3), 1e-12);
        assertEquals(2.8 + (5 - 2.8) * 2 / 4, COMPUTE.estimate(6), 1e-12);
        assertEquals(70 + 35.0 * 64 / 64, COMPUTE.estimate(192), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> COMPUTE.estimate(0));
    }
}
