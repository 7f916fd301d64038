package dev.sequoia.offload.plan;

/**
 * The memory budget cannot hold what streaming needs at minimum (the fixed parts, two layer slots and any
 * layers forced resident). Thrown by the planner, before anything is allocated.
 */
public final class ImpossibleBudgetException extends IllegalArgumentException {
    public ImpossibleBudgetException(String message) {
        super(message);
    }
}
