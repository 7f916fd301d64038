package dev.sequoia.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TreeShapesTest {
    private static final AcceptanceVector P = AcceptanceVector.of(.634, .108, .057, .0225);

    @Test
    void chainMatchesTheGeometricSum() {
        for (int length = 0; length <= 30; length++) {
            double expected = 0;
            for (int j = 0; j <= length; j++) {
                expected += Math.pow(.634, j);
            }
            Tree chain = TreeShapes.chain(length);
            assertEquals(length + 1, chain.size());
            assertEquals(length + 1, chain.levels());
            assertEquals(expected, chain.expectedTokens(P), 1e-12, "L=" + length);
        }
    }

    @Test
    void kIndependentChainsMatchTheirClosedForm() {
        for (int k = 1; k <= 4; k++) {
            for (int length = 1; length <= 12; length++) {
                double head = 0;
                for (int i = 1; i <= k; i++) {
                    head += P.p(i);
                }
                double tail = 0;
                for (int j = 0; j < length; j++) {
                    tail += Math.pow(.634, j);
                }
                Tree tree = TreeShapes.kByL(k, length);
                assertEquals(1 + k * length, tree.size());
                assertEquals(1 + head * tail, tree.expectedTokens(P), 1e-12, k + "x" + length);
            }
        }
    }

    @Test
    void fullKAryTreesMatchTheirClosedForm() {
        for (int k = 1; k <= 4; k++) {
            for (int levels = 1; levels <= 6; levels++) {
                double s = 0;
                for (int i = 1; i <= k; i++) {
                    s += P.p(i);
                }
                double expected = 0;
                int size = 0;
                for (int j = 0; j < levels; j++) {
                    expected += Math.pow(s, j);
                    size += (int) Math.pow(k, j);
                }
                Tree tree = TreeShapes.kAry(k, levels);
                assertEquals(size, tree.size());
                assertEquals(levels, tree.levels());
                assertEquals(expected, tree.expectedTokens(P), 1e-12, k + "-ary, " + levels + " levels");
            }
        }
    }

    @Test
    void kByLNumbersTheChainsBreadthFirst() {
        Tree tree = TreeShapes.kByL(2, 3);
        assertArrayEquals(new int[] {1, 2}, tree.successors(0));
        assertArrayEquals(new int[] {3}, tree.successors(1));
        assertArrayEquals(new int[] {4}, tree.successors(2));
        assertArrayEquals(new int[] {5}, tree.successors(3));
        assertArrayEquals(new int[] {}, tree.successors(6));
    }

    @Test
    void rejectsNonBreadthFirstSuccessorLists() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Tree.fromSuccessors(new int[][] {{2, 1}, {}, {}}));
        assertEquals("Successors[0] contains 2: expected 1 (nodes numbered breadth first, siblings contiguous, "
                + "parent before child)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tree.fromSuccessors(new int[][] {{1}, {}, {}}));
        assertThrows(IllegalArgumentException.class, () -> TreeShapes.kByL(0, 3));
    }
}
