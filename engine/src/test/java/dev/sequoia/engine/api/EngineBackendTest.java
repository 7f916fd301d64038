package dev.sequoia.engine.api;

import dev.sequoia.cuda.Cuda;
import dev.sequoia.engine.backend.cuda.BackendChoice;
import dev.sequoia.engine.backend.offload.OffloadSettings;
import dev.sequoia.engine.testing.Fixtures;
import dev.sequoia.offload.plan.PlanOverrides;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Choosing the backend: CPU by default for every way of building a configuration; {@code cuda} refuses what the
 * CUDA backend does not support (naming the alternatives) before loading anything, and without a driver fails
 * with the driver's reason; {@code auto} without CUDA runs on the CPU.
 */
class EngineBackendTest {
    private static final ModelSpec TARGET = Fixtures.targetSpec();
    private static final ModelSpec DRAFT = Fixtures.draftSpec();

    @Test
    void theDefaultBackendIsTheCpuAndEveryOtherParameterKeepsTheChoice() {
        assertEquals(BackendChoice.CPU, EngineConfig.builder(TARGET).build().backend());
        assertEquals(BackendChoice.CPU, EngineConfig.builder(TARGET).int8Activations(true).build().backend());
        assertEquals(BackendChoice.CPU, EngineConfig.builder(TARGET).backend(null).build().backend());
        EngineConfig cuda = EngineConfig.builder(TARGET).backend(BackendChoice.CUDA).build();
        assertEquals(BackendChoice.CUDA, cuda.toBuilder().draft(DRAFT).tree("4x3").threads(1).contextLength(64)
                .prefixCacheBytes(0).offload(OffloadSettings.budget(1 << 20)).tree("chain:2")
                .int8Activations(false).build().backend());
    }

    @Test
    void cudaTakesTreeAutoWhereTheDriverIsTheOnlyObstacle() {
        // --tree auto on CUDA is profiled on the GPU (CudaProfiler), so it is no longer refused by name:
        // without a driver the only error is the driver's.
        assumeFalse(Cuda.isAvailable(), "this machine has CUDA");
        EngineConfig config = EngineConfig.builder(TARGET).draft(DRAFT).tree("auto").backend(BackendChoice.CUDA).build();
        RuntimeException e = assertThrows(RuntimeException.class, () -> Engine.open(config));
        assertTrue(e.getMessage().contains("no CUDA driver"), e.getMessage());
        assertFalse(e.getMessage().contains("--tree auto"), e.getMessage());
    }

    @Test
    void cudaRejectsInt8Activations() {
        EngineConfig config = EngineConfig.builder(TARGET).int8Activations(true).backend(BackendChoice.CUDA).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engine.open(config));
        assertTrue(e.getMessage().contains("--int8") && e.getMessage().contains("CPU backend only"), e.getMessage());
    }

    @Test
    void cudaRejectsTheCpuPlanOverrides() {
        OffloadSettings overrides = OffloadSettings.budget(1 << 20).withOverrides(new PlanOverrides(new TreeSet<>(Set.of(0)), 2));
        EngineConfig config = EngineConfig.builder(TARGET).offload(overrides).backend(BackendChoice.CUDA).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engine.open(config));
        assertTrue(e.getMessage().contains("--resident-layers and --slots"), e.getMessage());
    }

    @Test
    void cudaWithoutADriverFailsWithTheReason() {
        assumeFalse(Cuda.isAvailable(), "this machine has CUDA");
        EngineConfig config = EngineConfig.builder(TARGET).backend(BackendChoice.CUDA).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engine.open(config));
        assertTrue(e.getMessage().startsWith("--backend cuda: "), e.getMessage());
        assertTrue(e.getMessage().contains(Cuda.unavailableReason()), e.getMessage());
    }

    @Test
    void autoWithoutCudaRunsOnTheCpuEvenWithCpuOnlyFeatures() {
        assumeFalse(Cuda.isAvailable(), "this machine has CUDA");
        EngineConfig config = EngineConfig.builder(TARGET).threads(1).draft(DRAFT).tree("auto").backend(BackendChoice.AUTO).build();
        try (Engine e = Engine.open(config, dev.sequoia.engine.speculative.TreeProvider.fixed(
                dev.sequoia.engine.speculative.TreeSpec.parse("chain:2", 0)))) {
            assertEquals(BackendChoice.CPU, e.backend());
            assertNull(e.cudaPlan());
            try (Session s = e.openSession()) {
                assertEquals(4, s.generate(GenerateRequest.greedy("Once upon a time", 4)).tokens().length);
            }
        }
    }
}
