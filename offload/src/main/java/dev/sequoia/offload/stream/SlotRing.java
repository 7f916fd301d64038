package dev.sequoia.offload.stream;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;

/**
 * A Disruptor ring of {@link SlotEvent}s with exactly one consumer, which takes events one at a time and
 * blocks while none is published. Two of these carry the slots around the streamer: "slot is free" from
 * the compute thread to the loader, "slot holds layer l" from the loader to the compute thread. Since only R
 * slots exist, at most R events are ever outstanding and a producer never waits for capacity.
 *
 * <p>{@link #alert()} wakes a blocked consumer with {@link AlertException}: that is how the loader stops.
 */
final class SlotRing {
    private final RingBuffer<SlotEvent> ring;
    private final Sequence consumed = new Sequence(-1);
    private final SequenceBarrier barrier;

    SlotRing(int slots) {
        int capacity = Integer.highestOneBit(Math.max(2, slots) * 2 - 1);
        ring = RingBuffer.createMultiProducer(SlotEvent::new, capacity, new BlockingWaitStrategy());
        ring.addGatingSequences(consumed);
        barrier = ring.newBarrier();
    }

    void publish(int slot, int layer, long sequence, long bytes, long loadNanos, Throwable error) {
        long s = ring.next();
        try {
            ring.get(s).set(slot, layer, sequence, bytes, loadNanos, error);
        } finally {
            ring.publish(s);
        }
    }

    /** The next event, blocking until one is published. */
    SlotEvent.Snapshot take() throws AlertException, InterruptedException {
        long next = consumed.get() + 1;
        try {
            // with several producers the cursor moves when a producer claims an entry, before it fills and
            // publishes it: waitFor then answers the highest published sequence, which can be next - 1 for
            // a moment, and reading the entry then would give the event of the previous lap
            while (barrier.waitFor(next) < next) Thread.onSpinWait();
        } catch (TimeoutException e) {
            throw new IllegalStateException("a blocking wait strategy timed out", e);
        }
        SlotEvent.Snapshot event = ring.get(next).snapshot();
        consumed.set(next);
        return event;
    }

    void alert() { barrier.alert(); }

    /** The ring itself, for tests that claim an entry and publish it later, as a slow producer does. */
    RingBuffer<SlotEvent> ring() { return ring; }
}
