package dev.sequoia.decode;

import java.util.List;

/**
 * Chooses the shape of each step's token tree while the draft grows it level by level. The decoder asks
 * for the child counts of every node of the newest level (it then proposes that many children per node
 * with the verifier's own sampling rule, and runs one draft forward over the new level); an answer of all
 * zeros ends the growth. Since a count is fixed before that node's children are drawn, verification stays
 * exact whatever the policy looks at.
 */
public interface TreePolicy {
    /** A fresh decision state for one speculation step. */
    Growth newStep();

    /** The per-step state of a policy. */
    interface Growth {
        /** @return child counts, one per node of {@code newestLevel}, in the same order */
        int[] childCounts(List<DraftNode> newestLevel);
    }
}
