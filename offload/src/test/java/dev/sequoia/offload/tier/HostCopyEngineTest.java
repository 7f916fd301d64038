package dev.sequoia.offload.tier;

import dev.sequoia.offload.io.ModelFileFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU-side path a device tier uses: file -> pinned pool buffer -> copy engine slot, with the slot contract. */
class HostCopyEngineTest {
    @TempDir
    Path dir;

    @Test
    void layersTravelFileToPinnedToSlotAndEveryBufferIsFreed() throws IOException, InterruptedException {
        ModelFileFixture fx = ModelFileFixture.create(dir, 4, 20_000, 21);
        MemoryLedger ledger = new MemoryLedger();
        try (DiskTier tier = DiskTier.open(fx.path(), fx.layers(), 2, 16 * 1024)) {
            long slotBytes = Arrays.stream(tier.slotBytesPerLayer()).max().orElseThrow();
            try (PinnedHostPool pool = new PinnedHostPool(2, slotBytes, HostAllocator.plain(), ledger);
                 HostCopyEngine device = new HostCopyEngine(2, slotBytes, ledger)) {
                for (int pass = 0; pass < 2; pass++) {
                    for (int layer = 0; layer < 4; layer++) {
                        int slot = layer % 2, buf = pool.take();
                        tier.load(layer, pool.buffer(buf));
                        device.copyToSlot(pool.buffer(buf).asSlice(0, tier.layout(layer).slotBytes()), slot);
                        device.awaitCopied(slot);
                        pool.give(buf);
                        device.awaitReady(slot);
                        assertTrue(fx.slotHolds(layer, tier.layout(layer), device.slot(slot)), "layer " + layer);
                        device.releaseSlot(slot);
                    }
                }
                assertEquals(2, pool.freeBuffers());
                assertEquals(4 * slotBytes, ledger.liveBytes());
            }
        }
        assertEquals(0, ledger.liveBytes());
        assertEquals(0, ledger.liveArenas());
    }

    @Test
    void copyIntoASlotComputeStillHoldsBreaksTheContract() {
        MemoryLedger ledger = new MemoryLedger();
        try (HostCopyEngine device = new HostCopyEngine(2, 4096, ledger);
             PinnedHostPool pool = new PinnedHostPool(1, 4096, HostAllocator.plain(), ledger)) {
            device.copyToSlot(pool.buffer(0), 0);
            device.awaitReady(0);
            var e = assertThrows(IllegalStateException.class, () -> device.copyToSlot(pool.buffer(0), 0));
            assertTrue(e.getMessage().contains("slot 0"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> device.awaitReady(1));
            assertThrows(IllegalStateException.class, () -> pool.give(0));
        }
        assertEquals(0, ledger.liveBytes());
    }
}
