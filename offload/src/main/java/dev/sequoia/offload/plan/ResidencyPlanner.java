package dev.sequoia.offload.plan;

/**
 * The CPU backend's plan: {@link TierPlanner} over two tiers (RAM, where the kernels read, and the disk), seen as
 * a {@link ResidencyPlan}. Everything fits: all resident. Otherwise R = 2 or 3 slots by the balance of disk and
 * compute, and the rest of the budget keeps whole layers resident, spread evenly over the depth (see
 * {@link TierPlanner}). A budget below the fixed parts plus two slots (plus any layers forced resident) is an
 * {@link ImpossibleBudgetException}, raised before anything is allocated. Stateless.
 */
public final class ResidencyPlanner {
    private ResidencyPlanner() {}

    public static ResidencyPlan plan(PlanInputs in) {
        return plan(in, PlanOverrides.NONE);
    }

    public static ResidencyPlan plan(PlanInputs in, PlanOverrides overrides) {
        return TierPlanner.plan(TierInputs.cpu(in), overrides).residencyPlan();
    }
}
