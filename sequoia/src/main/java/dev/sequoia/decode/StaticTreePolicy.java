package dev.sequoia.decode;

import dev.sequoia.tree.Tree;
import java.util.List;

/**
 * The same precomputed tree every step: a Sequoia DP tree or a baseline shape. Level s of the drafted tree
 * gets {@code branches[s]}; because the decoder numbers nodes breadth first in rank order, its ids are
 * exactly the tree's.
 */
public final class StaticTreePolicy implements TreePolicy {
    private final Tree tree;
    private final List<int[]> branches;

    public StaticTreePolicy(Tree tree) {
        this.tree = tree;
        this.branches = tree.branches();
    }

    public Tree tree() {
        return tree;
    }

    @Override
    public Growth newStep() {
        return new Growth() {
            private int level;

            @Override
            public int[] childCounts(List<DraftNode> newestLevel) {
                if (level >= branches.size()) {
                    return new int[newestLevel.size()];
                }
                int[] counts = branches.get(level++);
                if (counts.length != newestLevel.size()) {
                    throw new IllegalStateException("level " + (level - 1) + " has " + newestLevel.size()
                            + " drafted nodes: the static tree expects " + counts.length);
                }
                return counts.clone();
            }
        };
    }
}
