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
    private static final ModelSpec TARGET = new ModelSpec(Fixtures.target(), Fixtures.tokenizer());
    private static final ModelSpec DRAFT = new ModelSpec(Fixtures.draft(), Fixtures.tokenizer());

    @Test
    void theDefaultBackendIsTheCpuAndEveryWitherKeepsTheChoice() {
        assertEquals(BackendChoice.CPU, EngineConfig.of(TARGET).backend());
        assertEquals(BackendChoice.CPU, new EngineConfig(TARGET, null, "none", 0, 0, 1, 0, 0).backend());
        assertEquals(BackendChoice.CPU, new EngineConfig(TARGET, null, "none", 0, 0, 1, 0, 0, OffloadSettings.NONE, true).backend());
        assertEquals(BackendChoice.CPU, EngineConfig.of(TARGET).withBackend(null).backend());
        EngineConfig cuda = EngineConfig.of(TARGET).withBackend(BackendChoice.CUDA);
        assertEquals(BackendChoice.CUDA, cuda.withDraft(DRAFT, "4x3").withThreads(1).withContextLength(64)
                .withPrefixCacheBytes(0).withOffload(OffloadSettings.budget(1 << 20)).withTree("chain:2", 0, 0)
                .withInt8Activations(false).backend());
    }

    @Test
    void cudaTakesTreeAutoWhereTheDriverIsTheOnlyObstacle() {
        // --tree auto on CUDA is profiled on the GPU (CudaProfiler), so it is no longer refused by name:
        // without a driver the only error is the driver's.
        assumeFalse(Cuda.isAvailable(), "this machine has CUDA");
        EngineConfig config = EngineConfig.of(TARGET).withDraft(DRAFT, "auto").withBackend(BackendChoice.CUDA);
        RuntimeException e = assertThrows(RuntimeException.class, () -> Engine.open(config));
        assertTrue(e.getMessage().contains("no CUDA driver"), e.getMessage());
        assertFalse(e.getMessage().contains("--tree auto"), e.getMessage());
    }

    @Test
    void cudaRejectsInt8Activations() {
        EngineConfig config = EngineConfig.of(TARGET).withInt8Activations(true).withBackend(BackendChoice.CUDA);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engine.open(config));
        assertTrue(e.getMessage().contains("--int8") && e.getMessage().contains("CPU backend only"), e.getMessage());
    }

    @Test
    void cudaRejectsTheCpuPlanOverrides() {
        OffloadSettings overrides = OffloadSettings.budget(1 << 20).withOverrides(new PlanOverrides(new TreeSet<>(Set.of(0)), 2));
        EngineConfig config = EngineConfig.of(TARGET).withOffload(overrides).withBackend(BackendChoice.CUDA);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engine.open(config));
        assertTrue(e.getMessage().contains("--resident-layers and --slots"), e.getMessage());
    }

    @Test
    void cudaWithoutADriverFailsWithTheReason() {
        assumeFalse(Cuda.isAvailable(), "this machine has CUDA");
        EngineConfig config = EngineConfig.of(TARGET).withBackend(BackendChoice.CUDA);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engine.open(config));
        assertTrue(e.getMessage().startsWith("--backend cuda: "), e.getMessage());
        assertTrue(e.getMessage().contains(Cuda.unavailableReason()), e.getMessage());
    }

    @Test
    void autoWithoutCudaRunsOnTheCpuEvenWithCpuOnlyFeatures() {
        assumeFalse(Cuda.isAvailable(), "this machine has CUDA");
        EngineConfig config = EngineConfig.of(TARGET).withThreads(1).withDraft(DRAFT, "auto").withBackend(BackendChoice.AUTO);
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
