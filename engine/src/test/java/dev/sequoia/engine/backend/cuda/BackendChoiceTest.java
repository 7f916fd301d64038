package dev.sequoia.engine.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendChoiceTest {
    @Test
    void autoFollowsAvailabilityAndCudaRefusesWithTheReason() {
        assertEquals(BackendChoice.CUDA, BackendChoice.AUTO.resolve(() -> true, () -> ""));
        assertEquals(BackendChoice.CPU, BackendChoice.AUTO.resolve(() -> false, () -> "no driver"));
        assertEquals(BackendChoice.CPU, BackendChoice.CPU.resolve(() -> true, () -> ""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BackendChoice.CUDA.resolve(() -> false, () -> "no CUDA driver: libcuda.so.1 missing"));
        assertTrue(e.getMessage().contains("libcuda.so.1"), e.getMessage());
    }

    @Test
    void parsingNamesTheAllowedValues() {
        assertEquals(BackendChoice.AUTO, BackendChoice.parse(" Auto "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackendChoice.parse("gpu"));
        assertTrue(e.getMessage().contains("cpu, cuda or auto"), e.getMessage());
    }

    @Test
    void onThisMachineAutoNeverAnswersAuto() {
        assertNotEquals(BackendChoice.AUTO, BackendChoice.AUTO.resolve());
    }
}
