package dev.sequoia.engine.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Per-pass inputs (token ids, positions, the tree mask, the kept-row indices) go up through pinned staging slots
 * with asynchronous copies queued on the compute stream, so the kernels that read them are ordered after the
 * copies by the stream itself.
 *
 * <p>Why not a plain {@code cuMemcpyHtoD}: from pageable memory it may return before its DMA has landed, and it
 * runs on the legacy stream, which a {@code CU_STREAM_NON_BLOCKING} compute stream does not wait for; a kernel
 * could read last step's indices. An asynchronous copy reads its host bytes when the stream reaches it, so the
 * other hazard is rewriting a slot too early: a slot is reused only after the stream passed the event recorded
 * behind that slot's copies. With {@code slots} slots, up to {@code slots} passes' uploads can be in flight.
 *
 * <p>Owner: the transformer that owns the compute stream; one thread. {@link #close()} closes the device.
 */
final class StagedInputs<T> implements AutoCloseable {
    /** What staging needs from a device: pinned slots, copies queued on the compute stream, an event per slot. */
    interface Device<T> extends AutoCloseable {
        int slots();

        /** The pinned bytes of slot {@code index}. */
        MemorySegment slot(int index);

        /** Queues a copy of all of {@code src} to the start of {@code target}; it reads {@code src} when it runs. */
        void copy(MemorySegment src, T target);

        /** Records slot {@code index}'s event behind everything queued so far. */
        void record(int index);

        /** Blocks until the stream has passed slot {@code index}'s last recorded event. */
        void await(int index);

        @Override
        void close();
    }

    private static final long ALIGN = 16;
    private final Device<T> device;
    private final boolean[] recorded;
    private int next;

    StagedInputs(Device<T> device) {
        if (device.slots() < 1) throw new IllegalArgumentException("staging needs at least one slot");
        this.device = device;
        this.recorded = new boolean[device.slots()];
    }

    /** Starts one pass's uploads in the next slot, waiting first until the stream is done reading it. */
    Upload begin() {
        int slot = next;
        next = (next + 1) % recorded.length;
        if (recorded[slot]) device.await(slot);
        return new Upload(slot);
    }

    /** The uploads of one pass; {@link #close()} records the slot's event behind them. */
    final class Upload implements AutoCloseable {
        private final int slot;
        private final MemorySegment bytes;
        private long offset;
        private boolean closed;

        private Upload(int slot) {
            this.slot = slot;
            this.bytes = device.slot(slot);
        }

        /** Stages {@code values} and queues their copy to {@code target}. */
        Upload ints(int[] values, T target) {
            MemorySegment dst = reserve(4L * values.length);
            MemorySegment.copy(values, 0, dst, ValueLayout.JAVA_INT, 0, values.length);
            device.copy(dst, target);
            return this;
        }

        /** Stages {@code values} and queues their copy to {@code target}. */
        Upload bytes(byte[] values, T target) {
            MemorySegment dst = reserve(values.length);
            MemorySegment.copy(values, 0, dst, ValueLayout.JAVA_BYTE, 0, values.length);
            device.copy(dst, target);
            return this;
        }

        private MemorySegment reserve(long n) {
            if (closed) throw new IllegalStateException("upload of slot " + slot + " is finished");
            long start = (offset + ALIGN - 1) / ALIGN * ALIGN;
            if (start + n > bytes.byteSize()) {
                throw new IllegalArgumentException("pass inputs of " + (start + n) + " bytes exceed the staging slot of "
                        + bytes.byteSize() + " bytes");
            }
            offset = start + n;
            return bytes.asSlice(start, n);
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            device.record(slot);
            recorded[slot] = true;
        }
    }

    /** Bytes a slot needs for one pass of {@code n} tokens over {@code cacheRows} rows (tokens, positions, mask). */
    static long slotBytes(int maxBatch, int cacheRows) {
        long tokens = 4L * maxBatch + ALIGN, positions = 4L * maxBatch + ALIGN;
        long mask = (long) maxBatch * cacheRows + ALIGN, keptRows = 4L * cacheRows + ALIGN;
        return Math.max(tokens + positions + mask, keptRows);
    }

    /** Bytes a slot needs for uploads of these sizes in one {@link Upload} (each aligned as it aligns them; 0: none). */
    static long bytesFor(long... uploads) {
        long total = 0;
        for (long n : uploads) if (n > 0) total += n + ALIGN;
        return total;
    }

    @Override
    public void close() {
        device.close();
    }
}
