package dev.sequoia.cuda;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The safe layer on a real GPU: skipped without one (failing under SEQUOIA_REQUIRE_CUDA=1). */
class CudaDeviceTest {
    @Test
    void contextReportsTheDevice() {
        CudaTestSupport.requireCuda();
        try (CudaContext ctx = CudaContext.open(0)) {
            assertTrue(Cuda.driverVersion() >= 11000, "driver version " + Cuda.driverVersion());
            assertTrue(!ctx.deviceName().isBlank());
            assertTrue(ctx.computeCapability() >= 50, "compute capability " + ctx.computeCapability());
            CudaContext.MemoryInfo mem = ctx.memoryInfo();
            assertTrue(mem.freeBytes() > 0 && mem.freeBytes() <= mem.totalBytes(), mem.toString());
        }
    }

    @Test
    void bytesRoundTripThroughPinnedAndDeviceMemoryOnStreams() {
        CudaTestSupport.requireCuda();
        int n = 1 << 20;
        try (CudaContext ctx = CudaContext.open(0);
             PinnedHostBuffer src = ctx.allocatePinned(n);
             PinnedHostBuffer dst = ctx.allocatePinned(n);
             DeviceBuffer a = ctx.allocate(n);
             DeviceBuffer b = ctx.allocate(n);
             CudaStream copy = ctx.createStream();
             CudaStream other = ctx.createStream();
             CudaEvent copied = ctx.createEvent(false)) {
            for (int i = 0; i < n; i++) src.segment().set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
            a.copyFromAsync(src.segment(), 0, copy);
            copied.record(copy);
            other.waitFor(copied); // the second stream's D2D must see the first stream's H2D
            b.copyFromDeviceAsync(a, 0, 0, n, other);
            b.copyToAsync(0, dst.segment(), other);
            other.synchronize();
            assertEquals(-1L, src.segment().mismatch(dst.segment()));
        }
    }

    @Test
    void fillAndSynchronousCopiesAndBoundsChecks() {
        CudaTestSupport.requireCuda();
        try (CudaContext ctx = CudaContext.open(0); DeviceBuffer d = ctx.allocate(64); Arena arena = Arena.ofConfined()) {
            d.fill((byte) 0x5A);
            MemorySegment out = arena.allocate(64);
            d.copyTo(0, out);
            byte[] want = new byte[64];
            java.util.Arrays.fill(want, (byte) 0x5A);
            assertArrayEquals(want, out.toArray(ValueLayout.JAVA_BYTE));
            assertThrows(IndexOutOfBoundsException.class, () -> d.copyFrom(arena.allocate(65), 0));
        }
    }

    @Test
    void timingEventsMeasureElapsedTime() {
        CudaTestSupport.requireCuda();
        try (CudaContext ctx = CudaContext.open(0); CudaStream s = ctx.createStream();
             CudaEvent start = ctx.createEvent(true); CudaEvent end = ctx.createEvent(true);
             DeviceBuffer d = ctx.allocate(64L << 20); PinnedHostBuffer h = ctx.allocatePinned(64L << 20)) {
            start.record(s);
            d.copyFromAsync(h.segment(), 0, s);
            end.record(s);
            end.synchronize();
            float ms = CudaEvent.elapsedMillis(start, end);
            assertTrue(ms > 0 && ms < 10_000, "64 MiB H2D took " + ms + " ms");
        }
    }

    @Test
    void aDriverErrorCarriesItsName() {
        CudaTestSupport.requireCuda();
        try (CudaContext ctx = CudaContext.open(0)) {
            CudaException e = assertThrows(CudaException.class, () -> ctx.loadModule(new byte[]{1, 2, 3, 4}, "garbage"));
            assertTrue(e.statusName().startsWith("CUDA_ERROR_"), e.getMessage());
        }
    }

    @Test
    void aCapturedGraphDoesNotRunWhenCapturedAndReplaysTheSameWorkOnEachLaunch() {
        CudaTestSupport.requireCuda();
        int n = 4096;
        try (CudaContext ctx = CudaContext.open(0); CudaStream s = ctx.createStream();
             DeviceBuffer a = ctx.allocate(n); DeviceBuffer b = ctx.allocate(n); DeviceBuffer c = ctx.allocate(n);
             PinnedHostBuffer in = ctx.allocatePinned(n); PinnedHostBuffer out = ctx.allocatePinned(n)) {
            c.fill((byte) 0);
            try (CudaGraph graph = CudaGraph.capture(s, () -> {
                b.copyFromDeviceAsync(a, 0, 0, n, s);
                c.copyFromDeviceAsync(b, 0, 0, n, s);
            })) {
                c.copyToAsync(0, out.segment(), s);
                s.synchronize();
                assertEquals(0, out.segment().get(ValueLayout.JAVA_BYTE, 17), "capturing runs nothing");
                for (int round = 1; round <= 3; round++) {
                    for (int i = 0; i < n; i++) in.segment().set(ValueLayout.JAVA_BYTE, i, (byte) (i * round + round));
                    a.copyFromAsync(in.segment(), 0, s);
                    graph.launch(s);
                    c.copyToAsync(0, out.segment(), s);
                    s.synchronize();
                    assertEquals(-1L, in.segment().mismatch(out.segment()), "replay " + round);
                }
            }
        }
    }
}
