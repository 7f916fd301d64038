package dev.sequoia.engine.bench;

import dev.sequoia.engine.kernel.KernelPool;
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
 * with. The buffer is owned by this object's shared arena; close it to free the buffer. Bandwidth on a
 * shared machine drifts, so benchmarks interleave single passes with the work they measure.
 */
public final class StreamProbe implements AutoCloseable {
    /** Default buffer: 480 MB, well past a 32 MB L3. */
    public static final long DEFAULT_BYTES = 480L << 20;
    /** The kernels' float species (VectorDequant's): the widest, but at least 256 bits. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() >= 8
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_256;
    private static final long SLICE = 1L << 20;

    private final KernelPool pool;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final float[] partial;

    public StreamProbe(KernelPool pool, long bytes) {
        if (bytes < SLICE) throw new IllegalArgumentException("stream probe needs at least 1 MiB, got " + bytes + " bytes");
        this.pool = pool;
        this.buffer = arena.allocate(bytes / SLICE * SLICE, 64);
        buffer.fill((byte) 1);
        this.partial = new float[Math.toIntExact(buffer.byteSize() / SLICE)];
        pass(); // first touch of the pages is not a measurement
    }

    /** Read bandwidth of one full pass, in GB/s (1e9 bytes per second). */
    public double passGbps() {
        long t0 = System.nanoTime();
        pass();
        return buffer.byteSize() / (double) (System.nanoTime() - t0);
    }

    /** Median of {@code reps} passes, in GB/s. */
    public double medianGbps(int reps) {
        if (reps < 1) throw new IllegalArgumentException("stream probe needs reps >= 1, got " + reps);
        double[] gbps = new double[reps];
        for (int i = 0; i < reps; i++) gbps[i] = passGbps();
        Arrays.sort(gbps);
        return gbps[reps / 2];
    }

    /** Median read bandwidth over a fresh buffer of {@code bytes}: one probe, {@code reps} passes. */
    public static double measure(KernelPool pool, long bytes, int reps) {
        try (StreamProbe probe = new StreamProbe(pool, bytes)) {
            return probe.medianGbps(reps);
        }
    }

    private void pass() {
        pool.forEach(partial.length, (worker, i) -> partial[i] = sum(buffer, i * SLICE, SLICE));
        float total = 0;
        for (float f : partial) total += f;
        if (Float.isNaN(total)) throw new IllegalStateException("stream probe read NaN"); // keeps the sums live
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

    @Override
    public void close() {
        arena.close();
    }
}
