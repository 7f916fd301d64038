package dev.sequoia.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Measures this machine's streaming read bandwidth: a vector sum over a native buffer larger than the
 * last-level cache, split over the same kernel pool (so the same thread count) as the GEMMs it is compared
 * with. The buffer is owned by a shared arena closed before {@link #measure} returns.
 */
public final class StreamProbe {
    /** Default buffer: 480 MB, well past a 32 MB L3. */
    public static final long DEFAULT_BYTES = 480L << 20;
    private static final VectorSpecies<Float> F = VectorDequant.F;
    private static final long SLICE = 1L << 20;

    private StreamProbe() {}

    /** Median read bandwidth in GB/s (1e9 bytes per second) over {@code reps} full passes after one warm-up pass. */
    public static double measure(KernelPool pool, long bytes, int reps) {
        if (reps < 1) throw new IllegalArgumentException("stream probe needs reps >= 1, got " + reps);
        long size = Math.max(SLICE, bytes / SLICE * SLICE);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(size, 64);
            buf.fill((byte) 1);
            int slices = Math.toIntExact(size / SLICE);
            float[] partial = new float[slices];
            double[] gbps = new double[reps];
            for (int rep = -1; rep < reps; rep++) {
                long t0 = System.nanoTime();
                pool.forEach(slices, (worker, i) -> partial[i] = sum(buf, i * SLICE, SLICE));
                long dt = System.nanoTime() - t0;
                if (rep >= 0) gbps[rep] = size / (double) dt;
            }
            if (Float.isNaN(sumOf(partial))) throw new IllegalStateException("stream probe read NaN"); // keeps the sums live
            Arrays.sort(gbps);
            return gbps[reps / 2];
        }
    }

    private static float sum(MemorySegment seg, long off, long len) {
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        long step = F.vectorByteSize();
        for (long p = off, end = off + len; p < end; p += 4 * step) {
            a = a.add(FloatVector.fromMemorySegment(F, seg, p, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(F, seg, p + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(F, seg, p + 2 * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(F, seg, p + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }

    private static float sumOf(float[] v) {
        float s = 0;
        for (float f : v) s += f;
        return s;
    }
}
