package dev.sequoia.offload.device;

import dev.sequoia.offload.io.ModelFileFixture;
import dev.sequoia.offload.tier.DiskTier;
import dev.sequoia.offload.tier.HostAllocator;
import dev.sequoia.offload.tier.MemoryLedger;
import dev.sequoia.offload.tier.PinnedHostPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Disk -> pinned -> device: layers read with direct I/O ({@link DiskTier}) into a {@link PinnedHostPool} and
 * copied by a simulated device whose copy queue runs behind the host and reads the host buffer only when the copy
 * runs. Each copied layer is checked against the file when it lands. A control returns buffers without waiting
 * for their copies and must see a layer land with another layer's bytes.
 */
class DiskStagedLayersTest {
    @TempDir
    Path dir;

    @Test
    void everyLayerReadFromDiskLandsIntactOverSeveralPasses() throws IOException {
        List<String> wrong = run(true);
        assertEquals(List.of(), wrong);
    }

    @Test
    void returningABufferBeforeItsCopyRanCorruptsALayer() throws IOException {
        assertFalse(run(false).isEmpty(), "without waiting for the copy, a later read overwrites the buffer it reads");
    }

    @Test
    void layersMustBeTakenInPassOrder() throws IOException {
        ModelFileFixture fx = ModelFileFixture.create(dir, 3, 5_000, 3);
        MemoryLedger ledger = new MemoryLedger();
        try (DiskTier tier = DiskTier.open(fx.path(), fx.layers(), 1, 16 * 1024);
             PinnedHostPool pool = new PinnedHostPool(2, Arrays.stream(tier.slotBytesPerLayer()).max().orElseThrow(),
                     HostAllocator.plain(), ledger);
             DiskStagedLayers staged = new DiskStagedLayers(tier, List.of(0, 2), pool)) {
            var e = assertThrows(IllegalStateException.class, () -> staged.take(2));
            assertTrue(e.getMessage().contains("expects layer 0"), e.getMessage());
        }
        assertEquals(0, ledger.liveBytes());
    }

    private List<String> run(boolean waitForCopies) throws IOException {
        ModelFileFixture fx = ModelFileFixture.create(dir, 6, 20_000, 8);
        List<Integer> fromDisk = List.of(1, 3, 4);
        MemoryLedger ledger = new MemoryLedger();
        List<String> wrong = new ArrayList<>();
        try (Arena arena = Arena.ofConfined();
             DiskTier tier = DiskTier.open(fx.path(), fx.layers(), 2, 16 * 1024)) {
            long slotBytes = Arrays.stream(tier.slotBytesPerLayer()).max().orElseThrow();
            CopyQueue device = new CopyQueue(arena, slotBytes, new Random(3));
            try (PinnedHostPool pool = new PinnedHostPool(2, slotBytes, HostAllocator.plain(), ledger);
                 DiskStagedLayers staged = new DiskStagedLayers(tier, fromDisk, pool)) {
                for (int pass = 0; pass < 4; pass++) {
                    for (int layer : fromDisk) {
                        MemorySegment buffer = staged.take(layer);
                        long mark = device.copy(buffer, layer);
                        int p = pass;
                        device.then(() -> {
                            if (!fx.slotHolds(layer, tier.layout(layer), device.slot)) wrong.add("pass " + p + " layer " + layer);
                        });
                        staged.copyQueued(layer, waitForCopies ? () -> device.runThrough(mark) : () -> {});
                    }
                }
                device.drain();
                staged.close();
                assertEquals(2, pool.freeBuffers(), "every buffer is back in the pool");
            }
        }
        assertEquals(0, ledger.liveBytes(), "the pool freed its buffers");
        return wrong;
    }

    /** A device copy queue that runs behind the host: a copy reads its host buffer when it runs. */
    static final class CopyQueue {
        final MemorySegment slot;
        private final Deque<Runnable> queue = new ArrayDeque<>();
        private final Random random;
        private long queued, ran;

        CopyQueue(Arena arena, long slotBytes, Random random) {
            this.slot = arena.allocate(slotBytes);
            this.random = random;
        }

        /** Queues a copy of {@code src} into the device slot; returns its position in the queue. */
        long copy(MemorySegment src, int layer) {
            lag();
            queue.addLast(() -> MemorySegment.copy(src, 0, slot, 0, Math.min(src.byteSize(), slot.byteSize())));
            return ++queued;
        }

        /** Queues a check that runs after everything queued so far. */
        void then(Runnable check) {
            queue.addLast(check);
            queued++;
        }

        /** Runs the queue until the operation at {@code mark} has run. */
        void runThrough(long mark) {
            while (ran < mark) step();
        }

        void drain() { while (!queue.isEmpty()) step(); }

        private void lag() {
            if (random.nextInt(4) == 0 && !queue.isEmpty()) step();
        }

        private void step() {
            queue.removeFirst().run();
            ran++;
        }
    }
}
