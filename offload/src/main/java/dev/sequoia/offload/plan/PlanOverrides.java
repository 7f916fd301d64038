package dev.sequoia.offload.plan;

import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A user's corrections to the automatic plan: an explicit resident set and/or slot count. Either may be
 * null (decide automatically). Overrides are still checked against the budget.
 *
 * @param residentLayers exactly these layers stay resident, or null
 * @param slots          exactly this many rotating slots (>= 2), or null
 */
public record PlanOverrides(SortedSet<Integer> residentLayers, Integer slots) {
    public static final PlanOverrides NONE = new PlanOverrides(null, null);

    public PlanOverrides {
        if (residentLayers != null) residentLayers = new TreeSet<>(residentLayers);
        if (slots != null && slots < 2) throw new IllegalArgumentException("slot count override must be >= 2, got " + slots);
    }

    public static PlanOverrides resident(Set<Integer> layers) { return new PlanOverrides(new TreeSet<>(layers), null); }

    public PlanOverrides withSlots(int r) { return new PlanOverrides(residentLayers, r); }
}
