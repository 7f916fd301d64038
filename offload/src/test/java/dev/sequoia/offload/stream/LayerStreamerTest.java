package dev.sequoia.offload.stream;

import dev.sequoia.offload.io.FileReadException;
import dev.sequoia.offload.io.ModelFileFixture;
import dev.sequoia.offload.telemetry.PassTelemetry;
import dev.sequoia.offload.tier.DiskTier;
import dev.sequoia.offload.tier.HostAllocator;
import dev.sequoia.offload.tier.LayerLoader;
import dev.sequoia.offload.tier.MemoryLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerStreamerTest {
    @TempDir
    Path dir;

    private static long slotBytes(DiskTier tier) {
        return Arrays.stream(tier.slotBytesPerLayer()).max().orElseThrow();
    }

    private static void pass(LayerStreamer s, DiskTier tier, ModelFileFixture fx) {
        s.beginPass();
        try {
            for (int layer : s.streamedLayers()) {
                MemorySegment slot = s.acquire(layer);
                assertTrue(fx.slotHolds(layer, tier.layout(layer), slot), "layer " + layer + " bytes differ");
                s.release(layer);
            }
        } finally {
            s.endPass();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void everyPassDeliversEveryStreamedLayerExactly(int slots) throws IOException {
        ModelFileFixture fx = ModelFileFixture.create(dir, 6, 30_000, 11);
        MemoryLedger ledger = new MemoryLedger();
        try (DiskTier tier = DiskTier.open(fx.path(), fx.layers(), 2, 32 * 1024);
             LayerStreamer s = new LayerStreamer(tier, List.of(1, 2, 4, 5), slots, slotBytes(tier), HostAllocator.plain(), ledger)) {
            for (int p = 0; p < 4; p++) pass(s, tier, fx);
            PassTelemetry t = s.lastPass();
            assertEquals(4, t.layersStreamed());
            long fileSize = fx.bytes().length;
            long expected = List.of(1, 2, 4, 5).stream().flatMap(l -> tier.layout(l).reads().stream())
                    .mapToLong(r -> Math.min(r.length(), fileSize - r.fileOffset())).sum();
            assertEquals(expected, t.bytesStreamed());
            assertEquals(slots * slotBytes(tier), ledger.liveBytes());
        }
        assertEquals(0, ledger.liveBytes());
        assertEquals(0, ledger.liveArenas());
    }

    @Test
    void nextPassFirstLayerLoadsBeforeThePassBegins() throws Exception {
        CountDownLatch secondPassFirstLayer = new CountDownLatch(1);
        AtomicInteger loads = new AtomicInteger();
        LayerLoader loader = (layer, slot) -> {
            if (loads.incrementAndGet() == 4) secondPassFirstLayer.countDown(); // load #4 = layer 0 of pass 2
            return slot.byteSize();
        };
        try (LayerStreamer s = new LayerStreamer(loader, List.of(0, 1, 2), 2, 4096, HostAllocator.plain(), new MemoryLedger())) {
            s.beginPass();
            for (int l = 0; l < 3; l++) {
                s.acquire(l);
                s.release(l);
            }
            s.endPass();
            assertTrue(secondPassFirstLayer.await(10, TimeUnit.SECONDS), "wrap-around did not preload the next pass");
            long before = System.nanoTime();
            s.beginPass();
            s.acquire(0);
            assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(1));
            s.release(0);
            s.endPass(); // abandoned mid-pass: the streamer resets
            assertFalse(s.isRunning());
        }
    }

    @Test
    void failingLoaderFailsThePassFreesEverySlotAndTheNextPassWorks() throws IOException {
        ModelFileFixture fx = ModelFileFixture.create(dir, 4, 20_000, 5);
        MemoryLedger ledger = new MemoryLedger();
        AtomicInteger failAt = new AtomicInteger(6); // the 6th load fails: layer 2 of the second pass
        AtomicInteger loads = new AtomicInteger();
        try (DiskTier tier = DiskTier.open(fx.path(), fx.layers(), 2, 16 * 1024)) {
            LayerLoader flaky = (layer, slot) -> {
                if (loads.incrementAndGet() == failAt.get()) throw new FileReadException(fx.path(), 1234, "injected read error");
                return tier.load(layer, slot);
            };
            try (LayerStreamer s = new LayerStreamer(flaky, List.of(0, 1, 2, 3), 3, slotBytes(tier), HostAllocator.plain(), ledger)) {
                pass(s, tier, fx);
                StreamFaultException e = assertThrows(StreamFaultException.class, () -> pass(s, tier, fx));
                assertEquals(1, e.layer());
                assertTrue(e.getMessage().contains("injected read error") && e.getMessage().contains(fx.path().toString()), e.getMessage());
                assertFalse(s.isRunning());
                assertEquals(0, ledger.liveBytes(), "a fault must free every slot");
                assertEquals(0, ledger.liveArenas());
                failAt.set(-1);
                pass(s, tier, fx);
                pass(s, tier, fx);
            }
        }
        assertEquals(0, ledger.liveBytes());
    }

    @Test
    void fileTruncatedMidStreamIsAClearErrorAndARestoredFileStreamsAgain() throws IOException {
        ModelFileFixture fx = ModelFileFixture.create(dir, 5, 40_000, 9);
        MemoryLedger ledger = new MemoryLedger();
        try (DiskTier tier = DiskTier.open(fx.path(), fx.layers(), 2, 64 * 1024);
             LayerStreamer s = new LayerStreamer(tier, List.of(0, 1, 2, 3, 4), 2, slotBytes(tier), HostAllocator.plain(), ledger)) {
            pass(s, tier, fx);
            try (FileChannel ch = FileChannel.open(fx.path(), StandardOpenOption.WRITE)) {
                ch.truncate(fx.layers().get(3).get(0).offset());
            }
            StreamFaultException e = assertThrows(StreamFaultException.class, () -> pass(s, tier, fx));
            FileReadException cause = assertInstanceOf(FileReadException.class, e.getCause());
            assertEquals(fx.path(), cause.file());
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            assertEquals(0, ledger.liveBytes());
            Files.write(fx.path(), fx.bytes());
            pass(s, tier, fx);
        }
    }

    @Test
    void computeExceptionMidPassResetsTheStreamer() throws IOException {
        ModelFileFixture fx = ModelFileFixture.create(dir, 3, 10_000, 2);
        MemoryLedger ledger = new MemoryLedger();
        try (DiskTier tier = DiskTier.open(fx.path(), fx.layers(), 1, 8192);
             LayerStreamer s = new LayerStreamer(tier, List.of(0, 1, 2), 2, slotBytes(tier), HostAllocator.plain(), ledger)) {
            s.beginPass();
            s.acquire(0);
            s.endPass(); // the forward threw while holding layer 0
            assertEquals(0, ledger.liveBytes());
            pass(s, tier, fx);
        }
    }

    @Test
    void outOfOrderAcquireIsRejected() {
        List<Integer> seen = new CopyOnWriteArrayList<>();
        LayerLoader loader = (layer, slot) -> { seen.add(layer); return 1; };
        try (LayerStreamer s = new LayerStreamer(loader, List.of(0, 1), 2, 4096, HostAllocator.plain(), new MemoryLedger())) {
            s.beginPass();
            var e = assertThrows(IllegalStateException.class, () -> s.acquire(1));
            assertTrue(e.getMessage().contains("expects layer 0"), e.getMessage());
            s.endPass();
        }
    }
}
