package dev.sequoia.offload.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Where a layer's extents land in one contiguous slot, and the aligned reads that put them there.
 *
 * <p>Each extent is covered by the aligned range {@code [floor(offset), ceil(end))}; covering ranges that
 * overlap, touch, or lie closer than {@code mergeGap} bytes are merged into one read (a layer's tensors are
 * usually neighbours in the file, with only small norm vectors between them); ranges of different files
 * (the parts of a split model) are never merged. Reads are placed back to back
 * in the slot, so every read's file offset, length and slot offset are multiples of the alignment, and an
 * extent's bytes sit at {@link #extentSlotOffsets()}{@code [i]} without any further copy.
 *
 * @param reads             aligned reads, in (file, offset) order
 * @param extentSlotOffsets for each input extent (in input order), where its first byte lands in the slot
 * @param slotBytes         bytes of slot the layer needs (a multiple of the alignment)
 * @param payloadBytes      the extents' own bytes (what the layer "weighs")
 */
public record AlignedLayout(List<Read> reads, long[] extentSlotOffsets, long slotBytes, long payloadBytes) {

    /**
     * One aligned read: {@code length} bytes from offset {@code fileOffset} of file number {@code file} to slot
     * offset {@code slotOffset}; only the first {@code required} bytes must exist (the rest may lie past EOF).
     */
    public record Read(int file, long fileOffset, long length, long slotOffset, long required) {
        /** A read of the first (or only) file. */
        public Read(long fileOffset, long length, long slotOffset, long required) {
            this(0, fileOffset, length, slotOffset, required);
        }
    }

    public AlignedLayout {
        reads = List.copyOf(reads);
        extentSlotOffsets = extentSlotOffsets.clone();
    }

    /** Plans the reads of {@code extents} at {@code alignment}, merging ranges closer than {@code mergeGap}. */
    public static AlignedLayout of(List<Extent> extents, int alignment, long mergeGap) {
        if (extents.isEmpty()) throw new IllegalArgumentException("a layer needs at least one extent");
        if (Integer.bitCount(alignment) != 1) throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        Integer[] order = new Integer[extents.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.<Integer>comparingInt(i -> extents.get(i).file())
                .thenComparingLong(i -> extents.get(i).offset()));

        List<Read> reads = new ArrayList<>();
        long[] slotOffsets = new long[extents.size()];
        long start = -1, end = -1, dataEnd = -1, slot = 0, payload = 0;
        int file = -1;
        List<Integer> pending = new ArrayList<>();
        for (int i : order) {
            Extent e = extents.get(i);
            payload += e.length();
            long lo = floor(e.offset(), alignment), hi = ceil(e.end(), alignment);
            if (start >= 0 && e.file() == file && lo <= end + mergeGap) {
                end = Math.max(end, hi);
                dataEnd = Math.max(dataEnd, e.end());
            } else {
                if (start >= 0) slot = flush(reads, pending, extents, slotOffsets, file, start, end, dataEnd, slot);
                file = e.file();
                start = lo;
                end = hi;
                dataEnd = e.end();
            }
            pending.add(i);
        }
        slot = flush(reads, pending, extents, slotOffsets, file, start, end, dataEnd, slot);
        return new AlignedLayout(reads, slotOffsets, slot, payload);
    }

    private static long flush(List<Read> reads, List<Integer> pending, List<Extent> extents, long[] slotOffsets,
                              int file, long start, long end, long dataEnd, long slot) {
        reads.add(new Read(file, start, end - start, slot, dataEnd - start));
        for (int i : pending) slotOffsets[i] = slot + extents.get(i).offset() - start;
        pending.clear();
        return slot + (end - start);
    }

    static long floor(long v, int alignment) { return v & -(long) alignment; }

    static long ceil(long v, int alignment) { return (v + alignment - 1) & -(long) alignment; }
}
