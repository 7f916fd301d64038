package dev.sequoia.engine.backend.cuda;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * The ordering of per-pass uploads, on a simulated device whose stream runs behind the host by a random number of
 * operations and whose copies read their host bytes only when they run (as {@code cuMemcpyHtoDAsync} does). Each
 * simulated pass stages its inputs and queues a "kernel" that checks, when it runs, that the device buffers hold
 * exactly that pass's inputs. A control run with the slot wait removed shows the simulation catches reuse of a
 * slot the stream has not passed yet.
 */
class StagedInputsTest {
    @Test
    void everyKernelSeesItsOwnPassInputsWhileTheStreamLagsBehind() {
        try (Arena arena = Arena.ofConfined()) {
            SimulatedStream stream = new SimulatedStream(arena, 2, 4096, new Random(7), 3);
            List<String> wrong = runPasses(new StagedInputs<>(stream), stream, 400, new Random(11));
            assertEquals(List.of(), wrong);
            assertTrue(stream.maxQueued >= 6, "the stream must have lagged behind the host (" + stream.maxQueued + ")");
            assertTrue(stream.waits > 0, "slots were reused only after waiting");
        }
    }

    @Test
    void reusingASlotBeforeTheStreamPassedItCorruptsAPass() {
        try (Arena arena = Arena.ofConfined()) {
            SimulatedStream stream = new SimulatedStream(arena, 2, 4096, new Random(7), 3);
            StagedInputs.Device<byte[]> forgetful = new ForwardingDevice(stream) {
                @Override
                public void await(int index) {} // the bug this design prevents
            };
            List<String> wrong = runPasses(new StagedInputs<>(forgetful), stream, 400, new Random(11));
            assertFalse(wrong.isEmpty(), "without the per-slot wait a kernel must see another pass's inputs");
        }
    }

    @Test
    void aPassLargerThanItsSlotIsRefusedWithTheSizes() {
        try (Arena arena = Arena.ofConfined()) {
            SimulatedStream stream = new SimulatedStream(arena, 1, 64, new Random(1), 0);
            StagedInputs<byte[]> inputs = new StagedInputs<>(stream);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> inputs.begin().ints(new int[17], new byte[68]));
            assertTrue(e.getMessage().contains("68 bytes exceed the staging slot of 64 bytes"), e.getMessage());
        }
    }

    @Test
    void aSlotHoldsTheLargestPass() {
        long bytes = StagedInputs.slotBytes(48, 128);
        assertTrue(bytes >= 4 * 48 + 4 * 48 + 48 * 128, "tokens, positions and the mask of a full batch");
        assertTrue(bytes >= 4 * 128, "the kept-row indices of a full cache");
    }

    /** Runs passes of random sizes; returns what the kernels found wrong. */
    private static List<String> runPasses(StagedInputs<byte[]> inputs, SimulatedStream stream, int passes, Random r) {
        byte[] tokensBuf = new byte[4 * 64], maskBuf = new byte[1024];
        for (int p = 0; p < passes; p++) {
            int n = 1 + r.nextInt(64);
            int[] tokens = r.ints(n, 0, 32000).toArray();
            byte[] mask = new byte[1 + r.nextInt(1024)];
            r.nextBytes(mask);
            try (var up = inputs.begin()) {
                up.ints(tokens, tokensBuf).bytes(mask, maskBuf);
            }
            stream.kernel(p, tokensBuf, toBytes(tokens), maskBuf, mask);
        }
        stream.drain();
        return stream.wrong;
    }

    private static byte[] toBytes(int[] v) {
        MemorySegment s = MemorySegment.ofArray(new byte[4 * v.length]);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_INT_UNALIGNED, 0, v.length);
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * A device whose stream is a queue the host appends to; at each host call it runs one operation with probability
     * {@code 1/lag}, slower than the host queues them, so copies run (and read their staging bytes) after the host
     * went on, and only waits bound how far behind it falls.
     */
    static final class SimulatedStream implements StagedInputs.Device<byte[]> {
        private final MemorySegment[] slots;
        private final Deque<Runnable> queue = new ArrayDeque<>();
        private final long[] recordedAt, passedAt;
        private final Random random;
        private final int lag;
        private long executed, enqueued;
        final List<String> wrong = new ArrayList<>();
        int maxQueued, waits;

        SimulatedStream(Arena arena, int slotCount, long slotBytes, Random random, int lag) {
            slots = new MemorySegment[slotCount];
            for (int i = 0; i < slotCount; i++) slots[i] = arena.allocate(slotBytes);
            recordedAt = new long[slotCount];
            passedAt = new long[slotCount];
            this.random = random;
            this.lag = lag;
        }

        @Override
        public int slots() { return slots.length; }

        @Override
        public MemorySegment slot(int index) { hostCall(); return slots[index]; }

        @Override
        public void copy(MemorySegment src, byte[] target) {
            hostCall();
            enqueue(() -> MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 0, target, 0, (int) src.byteSize()));
        }

        @Override
        public void record(int index) {
            hostCall();
            long mark = enqueued + 1;
            recordedAt[index] = mark;
            enqueue(() -> passedAt[index] = mark);
        }

        @Override
        public void await(int index) {
            waits++;
            while (passedAt[index] < recordedAt[index]) step();
        }

        @Override
        public void close() {}

        void kernel(int pass, byte[] tokensBuf, byte[] tokens, byte[] maskBuf, byte[] mask) {
            hostCall();
            enqueue(() -> {
                if (!Arrays.equals(tokensBuf, 0, tokens.length, tokens, 0, tokens.length)
                        || !Arrays.equals(maskBuf, 0, mask.length, mask, 0, mask.length)) {
                    wrong.add("pass " + pass + " read inputs that are not its own");
                }
            });
        }

        void drain() { while (!queue.isEmpty()) step(); }

        private void hostCall() {
            if (lag == 0) drain();
            else if (random.nextInt(lag) == 0 && !queue.isEmpty()) step();
        }

        private void enqueue(Runnable op) {
            queue.addLast(op);
            enqueued++;
            maxQueued = Math.max(maxQueued, queue.size());
        }

        private void step() {
            queue.removeFirst().run();
            executed++;
        }
    }

    /** Delegates everything; the control test overrides one method. */
    static class ForwardingDevice implements StagedInputs.Device<byte[]> {
        private final StagedInputs.Device<byte[]> d;

        ForwardingDevice(StagedInputs.Device<byte[]> d) { this.d = d; }

        @Override public int slots() { return d.slots(); }
        @Override public MemorySegment slot(int index) { return d.slot(index); }
        @Override public void copy(MemorySegment src, byte[] target) { d.copy(src, target); }
        @Override public void record(int index) { d.record(index); }
        @Override public void await(int index) { d.await(index); }
        @Override public void close() { d.close(); }
    }
}
