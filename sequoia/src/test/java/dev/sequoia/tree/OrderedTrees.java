package dev.sequoia.tree;

import java.util.ArrayList;
import java.util.List;

/** Exhaustive enumeration of every ordered tree of n nodes with fan-out at most B (test oracle for the DPs). */
final class OrderedTrees {
    private OrderedTrees() {
    }

    record Shape(List<Shape> children) {
    }

    static List<Tree> all(int n, int maxFanOut) {
        List<Tree> out = new ArrayList<>();
        for (Shape s : shapes(n, maxFanOut)) {
            out.add(Tree.breadthFirst(s, Shape::children));
        }
        return out;
    }

    private static List<Shape> shapes(int n, int maxFanOut) {
        List<Shape> out = new ArrayList<>();
        for (List<Shape> forest : forests(n - 1, maxFanOut, maxFanOut)) {
            out.add(new Shape(forest));
        }
        return out;
    }

    /** Ordered forests of exactly {@code nodes} nodes with at most {@code trees} trees. */
    private static List<List<Shape>> forests(int nodes, int trees, int maxFanOut) {
        List<List<Shape>> out = new ArrayList<>();
        if (nodes == 0) {
            out.add(List.of());
            return out;
        }
        if (trees == 0) {
            return out;
        }
        for (int first = 1; first <= nodes; first++) {
            List<Shape> heads = shapes(first, maxFanOut);
            List<List<Shape>> tails = forests(nodes - first, trees - 1, maxFanOut);
            for (Shape h : heads) {
                for (List<Shape> tail : tails) {
                    List<Shape> f = new ArrayList<>(tail.size() + 1);
                    f.add(h);
                    f.addAll(tail);
                    out.add(f);
                }
            }
        }
        return out;
    }
}
