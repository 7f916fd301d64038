package dev.sequoia.engine.backend.cuda;

import dev.sequoia.offload.device.StreamPlan;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The name GPU t(n) profiles are cached under: device, layer format, budget and the device plan it produced. */
class CudaProfileConfigurationTest {
    private static long[] layers(int n, long bytes) {
        long[] b = new long[n];
        Arrays.fill(b, bytes);
        return b;
    }

    @Test
    void theNameCarriesDeviceFormatBudgetAndPlanAndIsFileNameSafe() {
        StreamPlan plan = StreamPlan.fit(layers(80, 1L << 30), 48L << 30, 3);
        String name = CudaModels.profileConfiguration("NVIDIA H200 (141GB)", "F16", 48L << 30, plan);
        assertEquals("cuda-NVIDIA_H200_141GB_-F16-budget51539607552-resident45of80-R3", name);
        assertTrue(name.matches("[A-Za-z0-9_.-]+"), name);
    }

    @Test
    void anotherBudgetDeviceOrFormatIsAnotherConfiguration() {
        StreamPlan big = StreamPlan.fit(layers(80, 1L << 30), 48L << 30, 3);
        StreamPlan small = StreamPlan.fit(layers(80, 1L << 30), 24L << 30, 3);
        String a = CudaModels.profileConfiguration("NVIDIA H200", "F16", 48L << 30, big);
        assertNotEquals(a, CudaModels.profileConfiguration("NVIDIA H200", "F16", 24L << 30, small));
        assertNotEquals(a, CudaModels.profileConfiguration("NVIDIA L40", "F16", 48L << 30, big));
        assertNotEquals(a, CudaModels.profileConfiguration("NVIDIA H200", "Q8_0", 48L << 30, big));
        StreamPlan all = StreamPlan.fit(layers(4, 1L << 20), Long.MAX_VALUE, 3);
        assertEquals("cuda-X-F16-budgetall-resident4of4-R0", CudaModels.profileConfiguration("X", "F16", 0, all));
    }
}
