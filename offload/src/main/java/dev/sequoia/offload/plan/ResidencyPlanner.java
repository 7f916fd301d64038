package dev.sequoia.offload.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Chooses a {@link ResidencyPlan} from the budget, the layer sizes, the measured bandwidth and the measured
 * compute time per layer.
 *
 * <ol>
 *   <li>Everything fits: all layers resident, no slots.</li>
 *   <li>Otherwise R slots: 2 (double buffering) when either the copy or the compute clearly dominates, 3 when
 *       they are within a factor of two of each other, where a third slot absorbs the jitter of either side.</li>
 *   <li>The rest of the budget keeps whole layers resident, spread evenly over the depth: each resident layer
 *       removes its copy from every pass, and spreading them gives the loader compute time to catch up.</li>
 * </ol>
 * A budget below the fixed parts plus two slots (plus any layers forced resident) is an
 * {@link ImpossibleBudgetException}, raised before anything is allocated. Stateless.
 */
public final class ResidencyPlanner {
    private ResidencyPlanner() {}

    public static ResidencyPlan plan(PlanInputs in) {
        return plan(in, PlanOverrides.NONE);
    }

    public static ResidencyPlan plan(PlanInputs in, PlanOverrides overrides) {
        int layers = in.layers();
        if (overrides.residentLayers() == null && overrides.slots() == null
                && in.fixedBytes() + in.totalLayerBytes() <= in.budgetBytes()) {
            return build(in, allLayers(layers), 0, 0, "the whole model fits in the budget");
        }
        SortedSet<Integer> forced = overrides.residentLayers();
        if (forced != null) checkLayers(forced, layers);
        long slotBytes = slotBytes(in, forced);
        long forcedBytes = forced == null ? 0 : sum(in, forced);
        long minimum = in.fixedBytes() + forcedBytes + (slotBytes == 0 ? 0 : 2 * slotBytes);
        if (minimum > in.budgetBytes()) throw impossible(in, forcedBytes, slotBytes, minimum);
        if (slotBytes == 0) return build(in, forced, 0, 0, "every layer was forced resident");

        int r = overrides.slots() != null ? overrides.slots() : chooseSlots(in, slotBytes, forcedBytes);
        long afterSlots = in.budgetBytes() - in.fixedBytes() - (long) r * slotBytes;
        if (afterSlots < forcedBytes) {
            throw new ImpossibleBudgetException("memory budget " + Bytes.format(in.budgetBytes()) + " cannot hold R=" + r
                    + " slots of " + Bytes.format(slotBytes) + " plus " + Bytes.format(in.fixedBytes()) + " fixed and "
                    + Bytes.format(forcedBytes) + " forced-resident bytes");
        }
        SortedSet<Integer> resident = forced != null ? forced : spreadResident(in, afterSlots);
        return build(in, resident, r, slotBytes, reason(in, r, overrides));
    }

    private static int chooseSlots(PlanInputs in, long slotBytes, long forcedBytes) {
        double ratio = in.computeNanosPerLayer() == 0 ? Double.POSITIVE_INFINITY
                : slotBytes / in.bytesPerSecond() * 1e9 / in.computeNanosPerLayer();
        boolean balanced = ratio >= 0.5 && ratio <= 2.0;
        boolean threeFit = in.fixedBytes() + forcedBytes + 3 * slotBytes <= in.budgetBytes();
        return balanced && threeFit ? 3 : 2;
    }

    /** As many layers as fit in {@code room}, picked evenly over the depth (layer 0 first). */
    private static SortedSet<Integer> spreadResident(PlanInputs in, long room) {
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

    private static ResidencyPlan build(PlanInputs in, SortedSet<Integer> resident, int r, long slotBytes, String why) {
        List<Integer> streamed = new ArrayList<>();
        for (int l = 0; l < in.layers(); l++) if (!resident.contains(l)) streamed.add(l);
        return new ResidencyPlan(in.layers(), resident, streamed, r, slotBytes, Math.max(0, r - 1), in.budgetBytes(),
                in.fixedBytes(), sum(in, resident), why);
    }

    private static long slotBytes(PlanInputs in, SortedSet<Integer> forced) {
        long max = 0;
        for (int l = 0; l < in.layers(); l++) if (forced == null || !forced.contains(l)) max = Math.max(max, in.layerBytes(l));
        return max;
    }

    private static long sum(PlanInputs in, SortedSet<Integer> layers) {
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

    private static ImpossibleBudgetException impossible(PlanInputs in, long forcedBytes, long slotBytes, long minimum) {
        return new ImpossibleBudgetException("memory budget " + Bytes.format(in.budgetBytes()) + " is too small: streaming needs at least "
                + Bytes.format(minimum) + " = fixed parts " + Bytes.format(in.fixedBytes()) + " + 2 slots x "
                + Bytes.format(slotBytes) + (forcedBytes > 0 ? " + forced-resident layers " + Bytes.format(forcedBytes) : ""));
    }

    private static String reason(PlanInputs in, int r, PlanOverrides overrides) {
        double transferMs = in.totalLayerBytes() / (double) in.layers() / in.bytesPerSecond() * 1e3;
        String measured = String.format(Locale.ROOT, "copy %.2f ms vs compute %.2f ms per layer", transferMs,
                in.computeNanosPerLayer() / 1e6);
        String slots = overrides.slots() != null ? "R=" + r + " (override)"
                : r == 3 ? "R=3: copy and compute are balanced, a third slot absorbs jitter"
                : "R=2: double buffering suffices when one side dominates";
        String resident = overrides.residentLayers() != null ? "resident set given (override)"
                : "the rest of the budget keeps layers resident, spread over the depth";
        return measured + "; " + slots + "; " + resident;
    }
}
