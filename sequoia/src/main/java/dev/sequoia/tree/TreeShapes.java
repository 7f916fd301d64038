package dev.sequoia.tree;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The baseline shapes Sequoia is compared with: one chain, k independent chains (SpecInfer's k x L), and
 * full k-ary trees. All are numbered breadth first like any {@link Tree}.
 */
public final class TreeShapes {
    private TreeShapes() {
    }

    /** A chain of {@code length} drafted tokens below the root: size length+1, length+1 levels. */
    public static Tree chain(int length) {
        return kByL(1, length);
    }

    /**
     * {@code k} independent chains of {@code length} tokens each (size 1 + k*length): the root has k
     * children and every other non-leaf node one.
     */
    public static Tree kByL(int k, int length) {
        requirePositive("k", k);
        requireNonNegative("length", length);
        record Node(int depth, int fanOut) {
        }
        return Tree.breadthFirst(new Node(0, length == 0 ? 0 : k), node -> node.depth() >= length
                ? List.of()
                : Collections.nCopies(node.fanOut(), new Node(node.depth() + 1, node.depth() + 1 < length ? 1 : 0)));
    }

    /** The full k-ary tree with {@code levels} levels (the root is level 1): size sum_{j<levels} k^j. */
    public static Tree kAry(int k, int levels) {
        requirePositive("k", k);
        requirePositive("levels", levels);
        return Tree.breadthFirst(0, depth -> {
            List<Integer> kids = new ArrayList<>();
            if (depth + 1 < levels) {
                for (int i = 0; i < k; i++) {
                    kids.add(depth + 1);
                }
            }
            return kids;
        });
    }

    private static void requirePositive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " = " + v + ": expected a positive count");
        }
    }

    private static void requireNonNegative(String name, int v) {
        if (v < 0) {
            throw new IllegalArgumentException(name + " = " + v + ": expected zero or more");
        }
    }
}
