package dev.sequoia.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrowmapJsonTest {
    /** The reference repo's A100-CNN-68m-13b-stochastic-S16 growmap, as SEQUOIA-NOTES §1.5 lists it. */
    static final int[][] S16 = {{1, 2, 3, 4}, {5, 6, 7}, {8}, {9}, {}, {10, 11}, {12}, {}, {13}, {}, {14}, {}, {}, {},
        {15}, {}};

    @Test
    void s16GrowmapHasTheReferenceRootsAndBranches() {
        Tree tree = Tree.fromSuccessors(S16);
        assertEquals(16, tree.size());
        assertEquals(6, tree.levels());
        int[][] roots = {{0}, {1, 2, 3, 4}, {5, 6, 7, 8, 9}, {10, 11, 12, 13}, {14}, {15}};
        int[][] branches = {{4}, {3, 1, 1, 0}, {2, 1, 0, 1, 0}, {1, 0, 0, 0}, {1}, {0}};
        assertArrayEquals(roots, tree.levelNodes().toArray(int[][]::new));
        assertArrayEquals(branches, tree.branches().toArray(int[][]::new));
    }

    @Test
    void writeThenReadGivesTheSameTree(@TempDir Path dir) throws IOException {
        for (Tree tree : new Tree[] {Tree.fromSuccessors(S16), TreeShapes.kByL(3, 4), TreeShapes.chain(0),
            LevelBoundedTreeDp.solve(AcceptanceVector.of(.6, .2, .1, .05), 64, 7).tree(64, 7)}) {
            Path file = dir.resolve("tree.json");
            GrowmapJson.write(tree, file);
            Tree back = GrowmapJson.read(file);
            assertEquals(tree, back);
            assertEquals(GrowmapJson.write(tree), GrowmapJson.write(back));
        }
    }

    @Test
    void rejectsAMaskThatIsNotTheAncestorClosure() {
        String json = GrowmapJson.write(TreeShapes.kByL(2, 2)).replace("[1,1,0,0,0]", "[1,1,1,0,0]");
        var e = assertThrows(IllegalArgumentException.class, () -> GrowmapJson.read(json, "t.json"));
        assertEquals("t.json: field 'mask'[1] is [1, 1, 1, 0, 0]: expected [1, 1, 0, 0, 0] (from Successors)",
                e.getMessage());
    }

    @Test
    void rejectsWrongDepthBranchesSizeAndMissingFields() {
        String good = GrowmapJson.write(TreeShapes.kByL(2, 2));
        assertMessage(good.replace("\"depth\": [0,1,1,2,2]", "\"depth\": [0,1,2,2,2]"),
                "t.json: field 'depth'[2] is 2: expected 1 (from Successors)");
        assertMessage(good.replace("\"branches\": [[2],[1,1],[0,0]]", "\"branches\": [[2],[1,0],[0,0]]"),
                "t.json: field 'branches'[1] is [1, 0]: expected [1, 1] (from Successors)");
        assertMessage(good.replace("\"size\": 5", "\"size\": 6"),
                "t.json: field 'size' is 6: expected 5 (the node count Successors describes)");
        assertMessage(good.replace("\"roots\"", "\"rootz\""), "t.json: field 'roots' is missing");
        assertMessage(good.replace("\"Successors\": [[1,2],[3],[4],[],[]]", "\"Successors\": [[1,2],[4],[3],[],[]]"),
                "t.json: Successors[1] contains 4: expected 3 (nodes numbered breadth first, siblings contiguous, "
                        + "parent before child)");
        assertMessage("[1,2]", "t.json: expected a JSON object with growmap fields");
    }

    @Test
    void writesOneFieldPerLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.json");
        GrowmapJson.write(TreeShapes.chain(2), file);
        String text = Files.readString(file);
        assertTrue(text.contains("\"Successors\": [[1],[2],[]]"), text);
        assertEquals(8, text.lines().count(), text);
    }

    private static void assertMessage(String json, String message) {
        var e = assertThrows(IllegalArgumentException.class, () -> GrowmapJson.read(json, "t.json"));
        assertEquals(message, e.getMessage());
    }
}
