package dev.sequoia.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sequoia.tree.AcceptanceVector;
import dev.sequoia.tree.LevelBoundedTreeDp;
import dev.sequoia.tree.TreeShapes;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class TreeOptimizerTest {
    /** The reference repo's committed vector, first four entries as SEQUOIA-NOTES §1.6 quotes them (3 digits). */
    private static final AcceptanceVector REPO_HEAD = AcceptanceVector.of(.634, .108, .057, .0225);
    private static final VerificationTimes DEMO_TIMES = VerificationTimes.parse("1=10,2=10,4=10,8=12,16=14,32=18");

    @Test
    void demoConfigPicksTheFourChainOfTheReference() {
        TreeChoice choice = TreeOptimizer.optimize(REPO_HEAD, DEMO_TIMES, 0.3, 10);
        assertEquals(4, choice.budget());
        assertEquals(4, choice.levels());
        assertEquals(TreeShapes.chain(3), choice.tree());
        // The reference prints dec_time 4.8878 and speedup 2.046 from the unrounded vector; ours is rounded.
        assertEquals(4.8878, choice.timePerToken(), 5e-3);
        assertEquals(2.046, choice.predictedSpeedup(), 5e-3);
    }

    @Test
    void choiceIsTheExhaustiveMinimumAndItsSpeedupIsConsistent() {
        AcceptanceVector p = AcceptanceVector.of(.55, .15, .08, .05, .03, .02);
        VerificationTimes times = VerificationTimes.parse("1=1,2=1.01,4=1.02,8=1.05,16=1.1,32=1.3,64=1.8,128=3");
        double c = 0.05;
        TreeChoice choice = TreeOptimizer.optimize(p, times, c, 12);
        LevelBoundedTreeDp dp = LevelBoundedTreeDp.solve(p, 128, 12);
        double best = Double.POSITIVE_INFINITY;
        for (var e : times.byBudget().entrySet()) {
            for (int d = 1; d <= 12; d++) {
                double g = dp.value(e.getKey(), d);
                if (g > 0) {
                    best = Math.min(best, (d * c + e.getValue()) / g);
                }
            }
        }
        assertEquals(best, choice.timePerToken(), 1e-15);
        assertEquals(choice.expectedTokens() / (times.at(choice.budget()) + choice.levels() * c),
                choice.predictedSpeedup(), 1e-12);
        assertEquals(choice.budget(), choice.tree().size());
        assertTrue(choice.tree().levels() <= choice.levels());
    }

    @Test
    void flatVerificationAndFreeDraftingPickTheLargestBudget() {
        SortedMap<Integer, Double> flat = new TreeMap<>();
        for (int n = 1; n <= 256; n *= 2) {
            flat.put(n, 1.0);
        }
        TreeChoice choice = TreeOptimizer.optimize(REPO_HEAD, new VerificationTimes(flat), 1e-9, 20);
        assertEquals(256, choice.budget());
    }

    @Test
    void steepVerificationCostPicksASmallTree() {
        SortedMap<Integer, Double> linear = new TreeMap<>();
        for (int n = 1; n <= 256; n *= 2) {
            linear.put(n, (double) n);
        }
        TreeChoice choice = TreeOptimizer.optimize(REPO_HEAD, new VerificationTimes(linear), 0.01, 20);
        assertEquals(1, choice.budget());
        assertEquals(1.0, choice.predictedSpeedup() * (1 + 0.01), 1e-12);
    }

    @Test
    void rejectsTimesWithoutTheAutoregressiveStep() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> TreeOptimizer.optimize(REPO_HEAD, VerificationTimes.parse("2=10,4=11"), 0.3, 5));
        assertEquals("no verification time for budget 1: have [2, 4]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VerificationTimes.parse("1=10,2"));
        assertThrows(IllegalArgumentException.class, () -> VerificationTimes.parse("1=-3"));
    }
}
