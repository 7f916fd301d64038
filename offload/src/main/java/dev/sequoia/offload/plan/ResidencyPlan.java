package dev.sequoia.offload.plan;

import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which layers stay resident in the compute tier and which stream through R rotating slots.
 *
 * @param layers          layers of the model
 * @param resident        layers copied once and kept
 * @param streamed        layers loaded into a slot on every pass, in pass order
 * @param slots           R, the rotating slots (0 when nothing streams, else >= 2)
 * @param slotBytes       bytes of one slot (the largest streamed layer)
 * @param prefetchDistance how many layers ahead of compute the loader may run: R - 1
 * @param budgetBytes     the budget the plan was made for
 * @param fixedBytes      the fixed parts counted against it
 * @param residentBytes   bytes of the resident layers
 * @param reason          one line on why R and the resident set were chosen
 */
public record ResidencyPlan(int layers, SortedSet<Integer> resident, List<Integer> streamed, int slots,
                            long slotBytes, int prefetchDistance, long budgetBytes, long fixedBytes,
                            long residentBytes, String reason) {
    public ResidencyPlan {
        resident = new TreeSet<>(resident);
        streamed = List.copyOf(streamed);
    }

    /** Bytes the plan holds: fixed parts, resident layers and R slots. Never above the budget. */
    public long totalBytes() { return fixedBytes + residentBytes + slots * slotBytes; }

    public long streamedBytesPerPass(long[] layerBytes) {
        return streamed.stream().mapToLong(l -> layerBytes[l]).sum();
    }

    public boolean isResident(int layer) { return resident.contains(layer); }

    public boolean streams() { return !streamed.isEmpty(); }

    /** A short human-readable table of the plan. */
    public String describe() {
        return String.format("""
                residency plan: %d layers, %d resident, %d streamed
                  budget      %s
                  fixed       %s
                  resident    %s  layers %s
                  slots       R=%d x %s  (prefetch distance %d)
                  total       %s
                  why         %s""",
                layers, resident.size(), streamed.size(), Bytes.format(budgetBytes), Bytes.format(fixedBytes),
                Bytes.format(residentBytes), resident, slots, Bytes.format(slotBytes), prefetchDistance,
                Bytes.format(totalBytes()), reason);
    }

    @Override
    public String toString() { return describe(); }
}
