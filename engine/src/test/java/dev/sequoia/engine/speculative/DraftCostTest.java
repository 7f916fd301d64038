package dev.sequoia.engine.speculative;

import dev.sequoia.optimize.VerificationTimes;
import dev.sequoia.tree.Tree;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The draft's cost model: forward seconds by level width, and the seconds a tree's levels cost per step. */
class DraftCostTest {
    private static final VerificationTimes T = VerificationTimes.parse("1=1.0");

    private static VerificationProfiler.Profile profile() {
        return new VerificationProfiler.Profile(T, 0.020, new TreeMap<>(Map.of(1, 0.010, 8, 0.020, 32, 0.050)));
    }

    @Test
    void widthsBetweenAndBeyondTheTimedOnesAreLinear() {
        VerificationProfiler.Profile p = profile();
        assertEquals(0.010, p.draftSeconds(1), 1e-12);
        assertEquals(0.020, p.draftSeconds(8), 1e-12);
        assertEquals(0.010 + 0.010 * 3 / 7.0, p.draftSeconds(4), 1e-12);
        assertEquals(0.020 + 0.030 * 12 / 24.0, p.draftSeconds(20), 1e-12);
        assertEquals(0.050 + 0.030 * 32 / 24.0, p.draftSeconds(64), 1e-12); // the last segment, extended
    }

    @Test
    void aProfileFromBeforeWidthsPricesEveryWidthAlike() {
        VerificationProfiler.Profile old = new VerificationProfiler.Profile(T, 0.020);
        assertEquals(0.020, old.draftSeconds(1), 1e-12);
        assertEquals(0.020, old.draftSeconds(100), 1e-12);
    }

    @Test
    void aTreeCostsTheBonusPassAndOneForwardPerLevelWithChildren() {
        // root -> 3 children; the first child -> 2 children: levels of widths 1, 3, 2
        Tree tree = Tree.fromSuccessors(new int[][]{{1, 2, 3}, {4, 5}, {}, {}, {}, {}});
        VerificationProfiler.Profile p = profile();
        double want = p.draftSeconds(1) + p.draftSeconds(1) + p.draftSeconds(3);
        assertEquals(want, p.draftSecondsFor(tree), 1e-12);
        Tree chain = Tree.fromSuccessors(new int[][]{{1}, {2}, {3}, {}});
        assertEquals(4 * p.draftSeconds(1), p.draftSecondsFor(chain), 1e-12);
    }
}
