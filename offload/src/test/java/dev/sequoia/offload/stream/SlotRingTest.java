package dev.sequoia.offload.stream;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SlotRingTest {
    @Test
    void aConsumerNeverReadsAnEntryClaimedButNotYetPublished() throws Exception {
        // seen in a full optimizer run: "loader delivered layer 0, expected 2" (R = 2, a ring of 2 entries: the
        // stale entry of the previous lap); here a producer claims entry 2, pauses, then fills and publishes it
        SlotRing ring = new SlotRing(2);
        ring.publish(0, 10, 0, 0, 0, null);
        ring.publish(1, 11, 1, 0, 0, null);
        assertEquals(10, ring.take().layer());
        assertEquals(11, ring.take().layer());
        CountDownLatch claimed = new CountDownLatch(1);
        CompletableFuture<Void> slowProducer = CompletableFuture.runAsync(() -> {
            long s = ring.ring().next();
            claimed.countDown();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ring.ring().get(s).set(0, 12, 2, 0, 0, null);
            ring.ring().publish(s);
        });
        claimed.await();
        assertEquals(12, ring.take().layer(), "the event of this lap, not entry 0's of the last");
        slowProducer.get(10, TimeUnit.SECONDS);
    }
}
