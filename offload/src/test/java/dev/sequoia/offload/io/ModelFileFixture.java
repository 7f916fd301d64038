package dev.sequoia.offload.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A fake model file for offload tests: random bytes, and per layer seven "projection" extents at unaligned
 * offsets with small gaps (norm vectors) between them, like a GGUF file's blocks.
 */
public record ModelFileFixture(Path path, byte[] bytes, List<List<Extent>> layers) {

    public static ModelFileFixture create(Path dir, int layers, int tensorBytes, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<List<Extent>> extents = new ArrayList<>();
        long at = 1000; // a header of odd size, so nothing is aligned
        for (int l = 0; l < layers; l++) {
            List<Extent> layer = new ArrayList<>();
            for (int t = 0; t < 7; t++) {
                int len = tensorBytes + rnd.nextInt(0, 3000);
                layer.add(new Extent(at, len));
                at += len + rnd.nextInt(0, 600);
            }
            extents.add(layer);
        }
        byte[] bytes = new byte[(int) at + 100];
        rnd.nextBytes(bytes);
        Path path = dir.resolve("model-" + seed + ".bin");
        Files.write(path, bytes);
        return new ModelFileFixture(path, bytes, extents);
    }

    /** True when {@code slot} holds every extent of {@code layer} where {@code layout} says it lands. */
    public boolean slotHolds(int layer, AlignedLayout layout, MemorySegment slot) {
        List<Extent> ext = layers.get(layer);
        for (int i = 0; i < ext.size(); i++) {
            Extent e = ext.get(i);
            ByteBuffer expected = ByteBuffer.wrap(bytes, (int) e.offset(), (int) e.length());
            ByteBuffer actual = slot.asSlice(layout.extentSlotOffsets()[i], e.length()).asByteBuffer();
            if (!expected.equals(actual)) return false;
        }
        return true;
    }
}
