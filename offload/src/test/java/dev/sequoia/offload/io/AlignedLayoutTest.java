package dev.sequoia.offload.io;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AlignedLayoutTest {
    @Test
    void neighbouringExtentsBecomeOneAlignedRead() {
        var layout = AlignedLayout.of(List.of(new Extent(5000, 3000), new Extent(8100, 100)), 4096, 0);
        assertEquals(List.of(new AlignedLayout.Read(4096, 8192, 0, 8200 - 4096)), layout.reads());
        assertEquals(5000 - 4096, layout.extentSlotOffsets()[0]);
        assertEquals(8100 - 4096, layout.extentSlotOffsets()[1]);
        assertEquals(8192, layout.slotBytes());
        assertEquals(3100, layout.payloadBytes());
    }

    @Test
    void distantExtentsAreSeparateReadsPlacedBackToBackInInputOrder() {
        // input order: the far extent first; slot offsets must still follow the input order.
        var layout = AlignedLayout.of(List.of(new Extent(1_000_000, 10), new Extent(10, 10)), 4096, 64 * 1024);
        assertEquals(2, layout.reads().size());
        assertEquals(0, layout.reads().get(0).fileOffset());
        assertEquals(4096, layout.reads().get(1).slotOffset());
        assertEquals(4096 + (1_000_000 - 999_424), layout.extentSlotOffsets()[0]);
        assertEquals(10, layout.extentSlotOffsets()[1]);
    }

    @Test
    void extentsOfDifferentFilesAreNeverMergedAndKeepTheirFile() {
        // a layer spanning two parts of a split model: the same offsets in two files are two reads
        var layout = AlignedLayout.of(List.of(new Extent(1, 4096, 100), new Extent(0, 4196, 100),
                new Extent(0, 4096, 100)), 4096, 64 * 1024);
        assertEquals(List.of(new AlignedLayout.Read(0, 4096, 4096, 0, 200), new AlignedLayout.Read(1, 4096, 4096, 4096, 100)),
                layout.reads());
        assertEquals(4096, layout.extentSlotOffsets()[0]);
        assertEquals(100, layout.extentSlotOffsets()[1]);
        assertEquals(0, layout.extentSlotOffsets()[2]);
    }

    @Test
    void everyReadIsAligned() {
        var layout = AlignedLayout.of(List.of(new Extent(4097, 9000), new Extent(70_001, 5), new Extent(300_000, 4096)), 4096, 1000);
        for (var r : layout.reads()) {
            assertEquals(0, r.fileOffset() % 4096);
            assertEquals(0, r.length() % 4096);
            assertEquals(0, r.slotOffset() % 4096);
            assertTrue(r.required() <= r.length());
        }
    }
}
