package dev.sequoia.offload.plan;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResidencyPlannerTest {
    private static final long MB = 1 << 20;

    private static long[] layers(int n, long bytes) {
        long[] out = new long[n];
        java.util.Arrays.fill(out, bytes);
        return out;
    }

    @Test
    void wholeModelInBudgetIsAllResidentWithoutSlots() {
        var plan = ResidencyPlanner.plan(new PlanInputs(1000 * MB, 100 * MB, layers(8, 100 * MB), 1e9, 1e6));
        assertEquals(8, plan.resident().size());
        assertEquals(0, plan.slots());
        assertTrue(plan.streamed().isEmpty());
    }

    @Test
    void tightBudgetStreamsEverythingThroughTwoSlots() {
        var plan = ResidencyPlanner.plan(new PlanInputs(250 * MB, 50 * MB, layers(8, 100 * MB), 1e9, 1e6));
        assertEquals(2, plan.slots());
        assertEquals(1, plan.prefetchDistance());
        assertTrue(plan.resident().isEmpty());
        assertEquals(8, plan.streamed().size());
        assertEquals(250 * MB, plan.totalBytes());
    }

    @Test
    void balancedCopyAndComputeGetsAThirdSlot() {
        // 100 MB at 1 GB/s = ~105 ms copy; compute 100 ms per layer: balanced.
        var plan = ResidencyPlanner.plan(new PlanInputs(400 * MB, 0, layers(8, 100 * MB), 1e9, 100e6));
        assertEquals(3, plan.slots());
        assertEquals(1, plan.resident().size());
    }

    @Test
    void leftoverBudgetKeepsLayersResidentSpreadOverTheDepth() {
        var plan = ResidencyPlanner.plan(new PlanInputs(600 * MB, 0, layers(8, 100 * MB), 1e9, 1e6));
        assertEquals(2, plan.slots());
        assertEquals(Set.of(0, 2, 4, 6), plan.resident());
        assertEquals(java.util.List.of(1, 3, 5, 7), plan.streamed());
    }

    @Test
    void impossibleBudgetIsAClearErrorNamingTheMinimum() {
        var e = assertThrows(ImpossibleBudgetException.class,
                () -> ResidencyPlanner.plan(new PlanInputs(249 * MB, 50 * MB, layers(8, 100 * MB), 1e9, 1e6)));
        assertTrue(e.getMessage().contains("249.00 MiB"), e.getMessage());
        assertTrue(e.getMessage().contains("250.00 MiB"), e.getMessage());
        assertTrue(e.getMessage().contains("2 slots"), e.getMessage());
    }

    @Test
    void forcedResidentLayersCountTowardTheMinimum() {
        var in = new PlanInputs(400 * MB, 0, layers(8, 100 * MB), 1e9, 1e6);
        assertThrows(ImpossibleBudgetException.class, () -> ResidencyPlanner.plan(in, PlanOverrides.resident(Set.of(0, 1, 2))));
        var plan = ResidencyPlanner.plan(in, PlanOverrides.resident(Set.of(3, 5)));
        assertEquals(Set.of(3, 5), plan.resident());
        assertEquals(2, plan.slots());
    }

    @Test
    void slotOverrideIsHonouredOrRefused() {
        var in = new PlanInputs(500 * MB, 0, layers(8, 100 * MB), 1e9, 1e6);
        assertEquals(4, ResidencyPlanner.plan(in, PlanOverrides.NONE.withSlots(4)).slots());
        assertThrows(ImpossibleBudgetException.class, () -> ResidencyPlanner.plan(in, PlanOverrides.NONE.withSlots(6)));
        assertThrows(IllegalArgumentException.class, () -> PlanOverrides.NONE.withSlots(1));
    }

    @Test
    void unknownResidentLayerIsRejected() {
        var in = new PlanInputs(500 * MB, 0, layers(4, 100 * MB), 1e9, 1e6);
        var e = assertThrows(IllegalArgumentException.class, () -> ResidencyPlanner.plan(in, PlanOverrides.resident(Set.of(9))));
        assertTrue(e.getMessage().contains("layer 9"), e.getMessage());
    }

    @Test
    void planNeverExceedsTheBudget() {
        SplittableRandom rnd = new SplittableRandom(42);
        int plans = 0;
        for (int trial = 0; trial < 5000; trial++) {
            int n = rnd.nextInt(1, 40);
            long[] sizes = new long[n];
            for (int i = 0; i < n; i++) sizes[i] = rnd.nextLong(1, 500) * MB;
            long budget = rnd.nextLong(1, 20_000) * MB, fixed = rnd.nextLong(0, 2000) * MB;
            var in = new PlanInputs(budget, fixed, sizes, rnd.nextDouble(1e8, 1e10), rnd.nextDouble(0, 1e9));
            try {
                var plan = ResidencyPlanner.plan(in);
                plans++;
                assertTrue(plan.totalBytes() <= budget, () -> plan.describe());
                assertEquals(n, plan.resident().size() + plan.streamed().size());
                for (int l : plan.streamed()) assertTrue(sizes[l] <= plan.slotBytes());
                assertTrue(plan.streamed().isEmpty() == (plan.slots() == 0));
            } catch (ImpossibleBudgetException e) {
                long max = java.util.Arrays.stream(sizes).max().orElseThrow();
                assertTrue(fixed + 2 * max > budget, e.getMessage());
            }
        }
        assertTrue(plans > 1000, "too few feasible random plans: " + plans);
    }

    @Test
    void sizesParseAndPrint() {
        assertEquals(2L << 30, Bytes.parse("2GiB"));
        assertEquals(512L << 20, Bytes.parse("512M"));
        assertEquals(4096, Bytes.parse("4096"));
        assertEquals("1.50 GiB", Bytes.format(3L << 29));
        assertThrows(IllegalArgumentException.class, () -> Bytes.parse("lots"));
    }

    @Test
    void planPrintsItsDecision() {
        var plan = ResidencyPlanner.plan(new PlanInputs(600 * MB, 0, layers(8, 100 * MB), 1e9, 1e6));
        String text = plan.describe();
        assertTrue(text.contains("R=2"), text);
        assertTrue(text.contains("[0, 2, 4, 6]"), text);
    }
}
