package dev.sequoia.engine.backend.offload;

import dev.sequoia.offload.plan.PlanOverrides;

/**
 * How the engine holds the target's layers: everything resident (budget 0), or a residency plan within a
 * memory budget, with the layers that do not fit streamed from the model file on every pass.
 *
 * @param budgetBytes memory for the target's fixed parts, resident layers and slots, plus the resident draft;
 *                    0 keeps the whole target resident (mapped)
 * @param overrides   corrections to the automatic plan (resident layers, slot count)
 * @param readers     direct reads in flight per layer
 * @param chunkBytes  bytes per direct read
 */
public record OffloadSettings(long budgetBytes, PlanOverrides overrides, int readers, long chunkBytes) {
    /** Everything resident: no streaming. */
    public static final OffloadSettings NONE = new OffloadSettings(0, PlanOverrides.NONE, 2, 4L << 20);

    public OffloadSettings {
        if (budgetBytes < 0) throw new IllegalArgumentException("memory budget must be >= 0 (0 = all resident), got " + budgetBytes);
        if (overrides == null) overrides = PlanOverrides.NONE;
        if (readers < 1) throw new IllegalArgumentException("readers must be >= 1, got " + readers);
        if (chunkBytes < 4096) throw new IllegalArgumentException("read chunk must be >= 4096 bytes, got " + chunkBytes);
        if (budgetBytes == 0 && !overrides.equals(PlanOverrides.NONE)) {
            throw new IllegalArgumentException("--resident-layers and --slots need a memory budget (--memory-budget)");
        }
    }

    /** A budget with the default plan and readers. */
    public static OffloadSettings budget(long bytes) {
        return new OffloadSettings(bytes, PlanOverrides.NONE, NONE.readers(), NONE.chunkBytes());
    }

    public OffloadSettings withOverrides(PlanOverrides o) {
        return new OffloadSettings(budgetBytes, o, readers, chunkBytes);
    }

    /** True when the target streams (or may stream) through a residency plan. */
    public boolean enabled() { return budgetBytes > 0; }
}
