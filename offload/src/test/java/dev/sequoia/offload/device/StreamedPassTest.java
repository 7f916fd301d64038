package dev.sequoia.offload.device;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host-side schedule of streamed layers, against a simulated device that checks the event contract. */
class StreamedPassTest {
    private static long[] sizes(int layers, long bytes) {
        long[] s = new long[layers];
        Arrays.fill(s, bytes);
        return s;
    }

    private static StreamPlan allStreamed(int layers, int slots) {
        return new StreamPlan(sizes(layers, 100), new boolean[layers], slots, 100);
    }

    @Test
    void twoSlotsRotateAndCopiesRunOneSlotAhead() {
        SimulatedStreamDevice d = new SimulatedStreamDevice(sizes(4, 100), 2, 100, 1);
        new StreamedPass(allStreamed(4, 2)).issue(d);
        assertEquals(List.of(
                "copy L0->s0", "ready s0", "copy L1->s1", "ready s1",
                "compute waits ready s0", "compute L0 on s0", "free s0",
                "copy waits free s0", "copy L2->s0", "ready s0",
                "compute waits ready s1", "compute L1 on s1", "free s1",
                "copy waits free s1", "copy L3->s1", "ready s1",
                "compute waits ready s0", "compute L2 on s0", "free s0",
                "compute waits ready s1", "compute L3 on s1", "free s1"), d.ops);
        assertEquals(List.of(), d.violations);
    }

    @Test
    void residentLayersAreNeverCopiedAndNeedNoEvents() {
        boolean[] resident = {true, true, false, false, false};
        StreamPlan plan = new StreamPlan(sizes(5, 100), resident, 2, 100);
        SimulatedStreamDevice d = new SimulatedStreamDevice(sizes(5, 100), 2, 100, 1);
        new StreamedPass(plan).issue(d);
        assertFalse(d.ops.stream().anyMatch(o -> o.startsWith("copy L0") || o.startsWith("copy L1")));
        assertTrue(d.ops.contains("compute L0 resident") && d.ops.contains("compute L1 resident"));
        assertEquals(300, plan.streamedBytesPerPass());
        assertEquals(List.of(), d.violations);
    }

    @Test
    void theEventContractHoldsForEveryShapeOverConsecutivePasses() {
        for (int layers = 1; layers <= 9; layers++) {
            for (int slots = 1; slots <= 4; slots++) {
                for (int residentPrefix = 0; residentPrefix <= layers; residentPrefix++) {
                    boolean[] resident = new boolean[layers];
                    for (int l = 0; l < residentPrefix; l++) resident[l] = true;
                    long[] bytes = new long[layers];
                    for (int l = 0; l < layers; l++) bytes[l] = 50 + 37L * l % 120;
                    StreamPlan plan = new StreamPlan(bytes, resident, slots, 200);
                    StreamedPass pass = new StreamedPass(plan);
                    for (double speed : new double[]{10, 100, 1000}) {
                        SimulatedStreamDevice d = new SimulatedStreamDevice(bytes, slots, speed, 1);
                        for (int p = 0; p < 3; p++) pass.issue(d);
                        assertEquals(List.of(), d.violations, "layers=" + layers + " slots=" + slots + " resident=" + residentPrefix);
                    }
                }
            }
        }
    }

    @Test
    void theSimulatorCatchesAScheduleThatSkipsTheSlotFreeWait() {
        // A hand-written bad order: refill s0 before its layer was computed.
        SimulatedStreamDevice d = new SimulatedStreamDevice(sizes(2, 100), 1, 100, 1);
        d.copyLayer(0, 0);
        d.recordLayerReady(0);
        d.copyLayer(1, 0);
        d.computeWaitLayerReady(0);
        d.computeLayer(0, 0);
        assertFalse(d.violations.isEmpty(), "overwriting a slot in use must be reported");
    }

    @Test
    void whenCopiesAreFasterThanComputeOnlyTheFirstCopyStalls() {
        int layers = 16;
        SimulatedStreamDevice d = new SimulatedStreamDevice(sizes(layers, 100), 2, 200, 1); // copy 0.5 s, compute 1 s
        new StreamedPass(allStreamed(layers, 2)).issue(d);
        assertEquals(0.5, d.stallSeconds(), 1e-9);
        assertEquals(layers + 0.5, d.computeClock(), 1e-9);
    }

    @Test
    void whenCopiesAreSlowerThePassRunsAtTheLinkSpeed() {
        int layers = 32;
        SimulatedStreamDevice d = new SimulatedStreamDevice(sizes(layers, 100), 3, 50, 1); // copy 2 s, compute 1 s
        new StreamedPass(allStreamed(layers, 3)).issue(d);
        double achieved = d.copyBusySeconds() / d.computeClock(); // fraction of the pass the link is busy
        assertTrue(achieved >= 0.9, "copy engine busy only " + achieved + " of the pass");
    }

    @Test
    void planFitsResidentLayersFrontToBackAfterReservingSlots() {
        StreamPlan all = StreamPlan.fit(sizes(4, 100), 400, 2);
        assertEquals(0, all.slots());
        assertEquals(0, all.streamedBytesPerPass());
        StreamPlan some = StreamPlan.fit(sizes(10, 100), 500, 2); // 2 slots = 200, 3 resident = 300
        assertEquals(List.of(3, 4, 5, 6, 7, 8, 9), some.streamedLayers());
        assertEquals(500, some.deviceBytes());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> StreamPlan.fit(sizes(10, 100), 150, 2));
        assertTrue(e.getMessage().contains("150"), e.getMessage());
    }
}
