package dev.sequoia.verify;

/** What verification at one accepted tree node decided. */
public sealed interface NodeResult {
    /** The child at {@code index} (0-based rank) is accepted; verification continues below it. */
    record Accepted(int index) implements NodeResult {
    }

    /** No child accepted: {@code token} is the bonus token, and this step ends. */
    record Rejected(int bonusToken) implements NodeResult {
    }
}
