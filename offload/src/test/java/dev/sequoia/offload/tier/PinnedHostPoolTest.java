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

/** The host side of a device tier's staging: file -> pinned pool buffer, buffers reused and all freed. */
class PinnedHostPoolTest {
    @TempDir
    Path dir;

    @Test
    void layersTravelFileToPooledBuffersAndEveryBufferIsFreed() throws IOException, InterruptedException {
        ModelFileFixture fx = ModelFileFixture.create(dir, 4, 20_000, 21);
        MemoryLedger ledger = new MemoryLedger();
        try (DiskTier tier = DiskTier.open(fx.path(), fx.layers(), 2, 16 * 1024)) {
            long slotBytes = Arrays.stream(tier.slotBytesPerLayer()).max().orElseThrow();
            try (PinnedHostPool pool = new PinnedHostPool(2, slotBytes, HostAllocator.plain(), ledger)) {
                for (int pass = 0; pass < 2; pass++) {
                    for (int layer = 0; layer < 4; layer++) {
                        int buf = pool.take();
                        tier.load(layer, pool.buffer(buf));
                        assertTrue(fx.slotHolds(layer, tier.layout(layer), pool.buffer(buf)), "layer " + layer);
                        pool.give(buf);
                    }
                }
                assertEquals(2, pool.freeBuffers());
                assertEquals(2 * slotBytes, ledger.liveBytes());
            }
        }
        assertEquals(0, ledger.liveBytes());
        assertEquals(0, ledger.liveArenas());
    }

    @Test
    void aBufferReturnedTwiceIsAnError() throws InterruptedException {
        MemoryLedger ledger = new MemoryLedger();
        try (PinnedHostPool pool = new PinnedHostPool(1, 4096, HostAllocator.plain(), ledger)) {
            assertThrows(IllegalStateException.class, () -> pool.give(0));
            int buf = pool.take();
            assertEquals(0, pool.freeBuffers());
            pool.give(buf);
            var e = assertThrows(IllegalStateException.class, () -> pool.give(buf));
            assertTrue(e.getMessage().contains("buffer 0"), e.getMessage());
        }
        assertEquals(0, ledger.liveBytes());
    }
}
