package dev.sequoia.offload.plan;

import dev.sequoia.offload.tier.Placement;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The one planner over tiers (compute memory, pinned host memory, disk), for both backends.
 *
 * <ol>
 *   <li>Compute tier. Everything fits: all layers resident, no slots. Otherwise R compute slots of the largest
 *       streamed layer: 2 (double buffering) when the slot feed (the link on a device, the disk on the CPU) or
 *       the compute clearly dominates, 3 when they are within a factor of two, where a third slot absorbs the
 *       jitter of either side. The rest of compute memory keeps whole layers resident: on the CPU spread evenly
 *       over the depth (the disk loader gets compute time to catch up between streamed layers); on a device
 *       front to back (as the measured GPU runs did; the first streamed copies land while the resident layers
 *       compute).</li>
 *   <li>Host tier, on a device. Streamed layers keep a pinned image while host memory lasts; the rest are read
 *       from the file every pass with direct I/O into S staging buffers (2 or 3 by the same balance rule, between
 *       the disk and the link), then copied to a compute slot. Layers read from disk are spread evenly over the
 *       streamed sequence, so each disk read overlaps the link copies of pinned layers.</li>
 *   <li>The measured rates price the pass: each stage (compute, link, disk) pipelined with the others, the
 *       slowest sets the pace ({@link TierPlan#predict()}).</li>
 * </ol>
 * A budget below the minimum of a tier is an {@link ImpossibleBudgetException} naming that minimum, raised
 * before anything is allocated. Stateless.
 */
public final class TierPlanner {
    /** Direct I/O reads whole 4 KiB blocks into staging buffers. */
    static final long DIRECT_IO_ALIGNMENT = 4096;

    private TierPlanner() {}

    public static TierPlan plan(TierInputs in) {
        return plan(in, PlanOverrides.NONE);
    }

    public static TierPlan plan(TierInputs in, PlanOverrides overrides) {
        int layers = in.layers();
        TierInputs.Memory compute = in.compute();
        if (overrides.residentLayers() == null && overrides.slots() == null
                && compute.fixedBytes() + in.totalLayerBytes() <= compute.budgetBytes()) {
            return build(in, allLayers(layers), 0, 0, "the whole model fits in the budget");
        }
        SortedSet<Integer> forced = overrides.residentLayers();
        if (forced != null) checkLayers(forced, layers);
        long slotBytes = slotBytes(in, forced);
        long forcedBytes = forced == null ? 0 : sum(in, forced);
        long minimum = compute.fixedBytes() + forcedBytes + (slotBytes == 0 ? 0 : 2 * slotBytes);
        if (minimum > compute.budgetBytes()) throw impossible(in, forcedBytes, slotBytes, minimum);
        if (slotBytes == 0) return build(in, forced, 0, 0, "every layer was forced resident");

        int r = overrides.slots() != null ? overrides.slots() : chooseSlots(in, slotBytes, forcedBytes);
        long afterSlots = compute.budgetBytes() - compute.fixedBytes() - (long) r * slotBytes;
        if (afterSlots < forcedBytes) {
            throw new ImpossibleBudgetException("memory budget " + Bytes.format(compute.budgetBytes()) + " cannot hold R=" + r
                    + " slots of " + Bytes.format(slotBytes) + " plus " + Bytes.format(compute.fixedBytes()) + " fixed and "
                    + Bytes.format(forcedBytes) + " forced-resident bytes");
        }
        SortedSet<Integer> resident = forced != null ? forced
                : in.deviceCompute() ? frontResident(in, afterSlots) : spreadResident(in, afterSlots);
        return build(in, resident, r, slotBytes, reason(in, r, overrides));
    }

    /** R: 3 when the slot feed and the compute are within a factor of two of each other and 3 slots fit, else 2. */
    private static int chooseSlots(TierInputs in, long slotBytes, long forcedBytes) {
        boolean threeFit = in.compute().fixedBytes() + forcedBytes + 3 * slotBytes <= in.compute().budgetBytes();
        return balanced(slotBytes / in.slotFeedBytesPerSecond() * 1e9, in.rates().computeNanosPerLayer()) && threeFit ? 3 : 2;
    }

    /** Two stages are balanced when neither takes more than twice the other (unmeasured: not balanced). */
    private static boolean balanced(double aNanos, double bNanos) {
        if (!(aNanos > 0) || !(bNanos > 0)) return false;
        double ratio = aNanos / bNanos;
        return ratio >= 0.5 && ratio <= 2.0;
    }

    /** As many layers as fit in {@code room}, picked evenly over the depth (layer 0 first). */
    private static SortedSet<Integer> spreadResident(TierInputs in, long room) {
        long typical = in.totalLayerBytes() / in.layers();
        int count = (int) Math.min(in.layers() - 1, room / Math.max(1, typical));
        SortedSet<Integer> chosen = new TreeSet<>();
        long used = 0;
        for (int i = 0; i < count; i++) {
            int layer = (int) ((long) i * in.layers() / count);
            if (used + in.layerBytes(layer) <= room) {
                chosen.add(layer);
                used += in.layerBytes(layer);
            }
        }
        return chosen;
    }

    /** Layers front to back while they fit in {@code room}. */
    private static SortedSet<Integer> frontResident(TierInputs in, long room) {
        SortedSet<Integer> chosen = new TreeSet<>();
        for (int l = 0; l < in.layers() && in.layerBytes(l) <= room; l++) {
            chosen.add(l);
            room -= in.layerBytes(l);
        }
        return chosen;
    }

    private static TierPlan build(TierInputs in, SortedSet<Integer> resident, int r, long slotBytes, String why) {
        Placement[] placement = new Placement[in.layers()];
        List<Integer> streamed = new ArrayList<>();
        for (int l = 0; l < in.layers(); l++) {
            if (resident.contains(l)) placement[l] = Placement.COMPUTE;
            else streamed.add(l);
        }
        if (!in.deviceCompute()) {
            for (int l : streamed) placement[l] = Placement.FILE;
            return new TierPlan(in, placement, r, slotBytes, 0, 0, why);
        }
        return placeOnHost(in, placement, streamed, r, slotBytes, why);
    }

    /** Pinned images while host memory lasts; the rest read from disk through S staging buffers, spread. */
    private static TierPlan placeOnHost(TierInputs in, Placement[] placement, List<Integer> streamed, int r,
                                        long slotBytes, String why) {
        TierInputs.Memory host = in.host();
        long room = host.budgetBytes() - host.fixedBytes();
        long all = streamed.stream().mapToLong(in::layerBytes).sum();
        if (all <= room) {
            for (int l : streamed) placement[l] = Placement.PINNED_HOST;
            return new TierPlan(in, placement, r, slotBytes, 0, 0, why + (streamed.isEmpty() ? "" : "; every streamed layer pinned"));
        }
        long staging = alignUp(streamed.stream().mapToLong(in::layerBytes).max().orElse(0), DIRECT_IO_ALIGNMENT);
        TierInputs.Rates rates = in.rates();
        int s = balanced(staging / rates.diskBytesPerSecond() * 1e9, staging / rates.linkBytesPerSecond() * 1e9)
                && room >= 3 * staging ? 3 : 2;
        long pinnedRoom = room - s * staging;
        if (pinnedRoom < 0) {
            throw new ImpossibleBudgetException("host memory budget " + Bytes.format(host.budgetBytes())
                    + " is too small: reading layers from disk needs " + s + " staging buffers x " + Bytes.format(staging)
                    + " plus " + Bytes.format(host.fixedBytes()) + " fixed");
        }
        int pinnedCount = 0;
        long used = 0;
        for (int l : streamed) { // layers are alike in size: count how many pinned images fit
            if (used + in.layerBytes(l) > pinnedRoom) break;
            used += in.layerBytes(l);
            pinnedCount++;
        }
        int fileCount = streamed.size() - pinnedCount;
        for (int i = 0; i < streamed.size(); i++) placement[streamed.get(i)] = Placement.PINNED_HOST;
        for (int j = 0; j < fileCount; j++) {
            // spread: the j-th disk layer sits at the middle of its share of the streamed sequence
            int i = (int) (((2L * j + 1) * streamed.size()) / (2L * fileCount));
            placement[streamed.get(i)] = Placement.FILE;
        }
        // a pinned layer whose bytes exceed the room (uneven sizes) goes to disk too
        long pinned = 0;
        for (int l : streamed) {
            if (placement[l] != Placement.PINNED_HOST) continue;
            if (pinned + in.layerBytes(l) > pinnedRoom) placement[l] = Placement.FILE;
            else pinned += in.layerBytes(l);
        }
        String disk = String.format(Locale.ROOT, "; host memory holds %d of %d streamed layers pinned, %d read from disk "
                        + "(direct I/O) through S=%d staging buffers (%s)", pinnedCount, streamed.size(), fileCount, s,
                s == 3 ? "disk and link balanced" : "one side dominates");
        return new TierPlan(in, placement, r, slotBytes, s, staging, why + disk);
    }

    private static long alignUp(long v, long a) { return (v + a - 1) / a * a; }

    private static long slotBytes(TierInputs in, SortedSet<Integer> forced) {
        long max = 0;
        for (int l = 0; l < in.layers(); l++) if (forced == null || !forced.contains(l)) max = Math.max(max, in.layerBytes(l));
        return max;
    }

    private static long sum(TierInputs in, SortedSet<Integer> layers) {
        return layers.stream().mapToLong(in::layerBytes).sum();
    }

    private static SortedSet<Integer> allLayers(int layers) {
        SortedSet<Integer> all = new TreeSet<>();
        for (int l = 0; l < layers; l++) all.add(l);
        return all;
    }

    private static void checkLayers(SortedSet<Integer> layers, int count) {
        for (int l : layers) {
            if (l < 0 || l >= count) throw new IllegalArgumentException("resident layer " + l + " does not exist: the model has layers 0.." + (count - 1));
        }
    }

    private static ImpossibleBudgetException impossible(TierInputs in, long forcedBytes, long slotBytes, long minimum) {
        return new ImpossibleBudgetException("memory budget " + Bytes.format(in.compute().budgetBytes()) + " is too small: streaming needs at least "
                + Bytes.format(minimum) + " = fixed parts " + Bytes.format(in.compute().fixedBytes()) + " + 2 slots x "
                + Bytes.format(slotBytes) + (forcedBytes > 0 ? " + forced-resident layers " + Bytes.format(forcedBytes) : ""));
    }

    private static String reason(TierInputs in, int r, PlanOverrides overrides) {
        double transferMs = in.totalLayerBytes() / (double) in.layers() / in.slotFeedBytesPerSecond() * 1e3;
        String measured = String.format(Locale.ROOT, "copy %.2f ms vs compute %.2f ms per layer", transferMs,
                in.rates().computeNanosPerLayer() / 1e6);
        String slots = overrides.slots() != null ? "R=" + r + " (override)"
                : r == 3 ? "R=3: copy and compute are balanced, a third slot absorbs jitter"
                : "R=2: double buffering suffices when one side dominates";
        String resident = overrides.residentLayers() != null ? "resident set given (override)"
                : in.deviceCompute() ? "the rest of device memory keeps layers resident, front to back"
                : "the rest of the budget keeps layers resident, spread over the depth";
        return measured + "; " + slots + "; " + resident;
    }
}
