package dev.sequoia.engine.bench.device;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.CudaEvent;
import dev.sequoia.cuda.CudaStream;
import dev.sequoia.cuda.DeviceBuffer;
import dev.sequoia.cuda.PinnedHostBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** The GPU check's "bandwidth" section: host-to-device copy rates, the peak the streamed benchmarks are held to. */
final class CopyBandwidth {
    private CopyBandwidth() {}

    /** Median GB/s of 256 MiB H2D copies from pinned and from pageable (malloc'd by an arena) memory. */
    static void measure(CudaContext ctx, ObjectNode out) {
        long bytes = 256L << 20;
        try (PinnedHostBuffer pinned = ctx.allocatePinned(bytes); Arena arena = Arena.ofConfined();
             DeviceBuffer dev = ctx.allocate(bytes); CudaStream s = ctx.createStream();
             CudaEvent a = ctx.createEvent(true); CudaEvent b = ctx.createEvent(true)) {
            MemorySegment pageable = arena.allocate(bytes, 4096);
            out.put("pinned_h2d_gbps", copyRate(dev, pinned.segment(), s, a, b));
            out.put("pageable_h2d_gbps", copyRate(dev, pageable, s, a, b));
            out.put("bytes_per_copy", bytes);
        }
    }

    static double copyRate(DeviceBuffer dev, MemorySegment src, CudaStream s, CudaEvent a, CudaEvent b) {
        double[] gbps = new double[7];
        for (int i = 0; i < gbps.length; i++) {
            a.record(s);
            dev.copyFromAsync(src, 0, s);
            b.record(s);
            b.synchronize();
            gbps[i] = src.byteSize() / (CudaEvent.elapsedMillis(a, b) / 1e3) / 1e9;
        }
        Arrays.sort(gbps);
        return gbps[gbps.length / 2];
    }
}
