package dev.sequoia.offload.plan;

import dev.sequoia.offload.device.StreamPlan;
import dev.sequoia.offload.tier.Placement;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The planner over tiers: device memory, pinned host memory and disk, placed and priced from measured rates. */
class TierPlannerTest {
    private static final long MB = 1L << 20;
    private static final TierInputs.Rates UNMEASURED = new TierInputs.Rates(Double.NaN, Double.NaN, 0);

    private static long[] layers(int n, long bytes) {
        long[] b = new long[n];
        Arrays.fill(b, bytes);
        return b;
    }

    private static TierInputs device(long[] layerBytes, long deviceBudget, long hostBudget, TierInputs.Rates rates) {
        return new TierInputs(layerBytes, new TierInputs.Memory(deviceBudget, 0), new TierInputs.Memory(hostBudget, 0), rates);
    }

    @Test
    void aDeviceWithRoomyHostMemoryPinsEveryStreamedLayerAsTheGpuStreamPlanDoes() {
        long[] bytes = layers(10, 100 * MB);
        TierPlan plan = TierPlanner.plan(device(bytes, 550 * MB, 10_000 * MB, UNMEASURED));
        assertEquals(2, plan.slots(), "unmeasured rates: double buffering");
        assertEquals(List.of(0, 1, 2), List.copyOf(plan.resident()), "front to back after the slots");
        assertEquals(7, plan.layersIn(Placement.PINNED_HOST).size());
        assertEquals(0, plan.diskBytesPerPass());
        StreamPlan same = StreamPlan.fit(bytes, 550 * MB, 2);
        assertArrayEquals(same.resident(), plan.streamPlan().resident());
        assertEquals(same.slotBytes(), plan.streamPlan().slotBytes());
    }

    @Test
    void whenHostMemoryRunsOutTheRestIsReadFromDiskSpreadOverThePass() {
        // 80 layers of 100 MB: the device holds 2 slots + 20 layers, the host 30 pinned images + staging
        long[] bytes = layers(80, 100 * MB);
        TierInputs.Rates rates = new TierInputs.Rates(2e9, 20e9, 50e6); // link dominated by compute: R=2
        TierPlan plan = TierPlanner.plan(device(bytes, 2200 * MB, 3200 * MB, rates));
        assertEquals(20, plan.resident().size());
        int file = plan.layersIn(Placement.FILE).size(), pinned = plan.layersIn(Placement.PINNED_HOST).size();
        assertEquals(60, file + pinned);
        assertEquals(2, plan.stagingBuffers(), "the disk is 10x slower than the link: two staging buffers suffice");
        assertEquals(30, pinned, "3200 MB - 2 staging buffers of 100 MB holds 30 images");
        assertTrue(plan.hostBytes() <= 3200 * MB && plan.computeBytes() <= 2200 * MB, plan.describe());
        List<Integer> streamed = plan.streamed();
        int lastFile = -1, longestPinnedRun = 0, run = 0;
        for (int i = 0; i < streamed.size(); i++) {
            if (plan.placement(streamed.get(i)) == Placement.FILE) {
                lastFile = i;
                run = 0;
            } else {
                longestPinnedRun = Math.max(longestPinnedRun, ++run);
            }
        }
        assertTrue(longestPinnedRun <= 2, "disk layers alternate with pinned ones, not bunched: run " + longestPinnedRun);
        assertTrue(lastFile >= streamed.size() - 2, "the disk layers reach the end of the pass");
    }

    @Test
    void theRatesPriceThePassAndNameItsBottleneck() {
        // 10 x 100 MiB; device: 2 slots + 2 resident; host: 4 pinned + 2 staging; 4 from disk
        long[] bytes = layers(10, 100 * MB);
        TierInputs.Rates rates = new TierInputs.Rates(2 * 1024 * MB, 10 * 1024 * MB, 1e6); // the link dominates: R=2
        TierPlan plan = TierPlanner.plan(device(bytes, 400 * MB, 600 * MB, rates));
        assertEquals(2, plan.resident().size());
        assertEquals(4, plan.layersIn(Placement.FILE).size(), plan.describe());
        TierPlan.Prediction p = plan.predict();
        assertEquals(0.01, p.computeSeconds(), 1e-12);
        assertEquals(800.0 / 10240, p.linkSeconds(), 1e-12);
        assertEquals(400.0 / 2048, p.diskSeconds(), 1e-12);
        assertEquals(400.0 / 2048, p.passSeconds(), 1e-12);
        assertEquals("disk", p.bottleneck());
        assertEquals(1 - 0.01 / (400.0 / 2048), p.stallFraction(), 1e-12);
        assertTrue(plan.describe().contains("disk-bound"), plan.describe());
    }

    @Test
    void balancedLinkAndComputeGetAThirdDeviceSlotAndBalancedDiskAThirdStagingBuffer() {
        long[] bytes = layers(20, 100 * MB);
        double perLayer = 100 * MB;
        // link: 100 ms per layer = compute; disk: 150 ms per layer, within 2x of the link
        TierInputs.Rates rates = new TierInputs.Rates(perLayer / 0.15, perLayer / 0.1, 100e6);
        TierPlan plan = TierPlanner.plan(device(bytes, 1000 * MB, 1000 * MB, rates));
        assertEquals(3, plan.slots());
        assertEquals(3, plan.stagingBuffers());
        assertTrue(plan.reason().contains("R=3") && plan.reason().contains("S=3"), plan.reason());
    }

    @Test
    void aHostTooSmallForStagingIsAClearError() {
        long[] bytes = layers(10, 100 * MB);
        var e = assertThrows(ImpossibleBudgetException.class,
                () -> TierPlanner.plan(device(bytes, 300 * MB, 150 * MB, UNMEASURED)));
        assertTrue(e.getMessage().contains("host memory budget 150.00 MiB") && e.getMessage().contains("staging buffers"),
                e.getMessage());
    }

    @Test
    void theCpuViewIsTheResidencyPlannersPlan() {
        PlanInputs in = new PlanInputs(500 * MB, 50 * MB, layers(8, 100 * MB), 1e9, 2e6);
        TierPlan plan = TierPlanner.plan(TierInputs.cpu(in));
        assertEquals(plan.residencyPlan().toString(), ResidencyPlanner.plan(in).toString());
        assertEquals(plan.streamed().size(), plan.layersIn(Placement.FILE).size(), "on the CPU streamed layers come from disk");
        assertEquals(0, plan.linkBytesPerPass());
        assertTrue(plan.describe().startsWith("tier plan: 8 layers"), plan.describe());
    }

    @Test
    void noPlanExceedsEitherBudgetAndEveryLayerIsPlaced() {
        Random r = new Random(5);
        int plans = 0;
        for (int trial = 0; trial < 3000; trial++) {
            int n = 1 + r.nextInt(40);
            long[] sizes = new long[n];
            for (int i = 0; i < n; i++) sizes[i] = (50 + r.nextInt(100)) * MB;
            long device = (100 + r.nextInt(4000)) * MB, host = (100 + r.nextInt(4000)) * MB;
            TierInputs.Rates rates = new TierInputs.Rates(1e9 * (1 + r.nextInt(8)), 1e10 * (1 + r.nextInt(3)), 1e6 * r.nextInt(50));
            try {
                TierPlan plan = TierPlanner.plan(device(sizes, device, host, rates));
                plans++;
                assertTrue(plan.computeBytes() <= device && plan.hostBytes() <= host, plan::describe);
                for (int l = 0; l < n; l++) {
                    if (plan.placement(l) != Placement.COMPUTE) assertTrue(sizes[l] <= plan.slotBytes());
                    if (plan.placement(l) == Placement.FILE) assertTrue(sizes[l] <= plan.stagingBytes());
                }
                assertEquals(plan.streamed().isEmpty(), plan.slots() == 0);
                assertEquals(plan.layersIn(Placement.FILE).isEmpty(), plan.stagingBuffers() == 0, plan::describe);
            } catch (ImpossibleBudgetException expected) {
                assertTrue(expected.getMessage().contains("too small") || expected.getMessage().contains("cannot hold"));
            }
        }
        assertTrue(plans > 1000, "too few feasible random plans: " + plans);
    }
}
