package dev.sequoia.tree;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Growmap JSON, the fields Sequoia's reference implementation stores per tree (and UMbreLLa's JSON trees
 * use): {@code size}, {@code depth} (per node, root 0), {@code Successors} (ordered children),
 * {@code mask} (0/1 ancestor-or-self matrix), {@code roots} (nodes per level) and {@code branches}
 * (their child counts). Reading rebuilds the {@link Tree} from {@code Successors} and rejects a file whose
 * other fields disagree with it, naming the field and the first bad entry.
 */
public final class GrowmapJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GrowmapJson() {
    }

    /** One field per line, values compact (a 768-node mask stays one line per field). */
    public static String write(Tree tree) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("size", tree.size());
        int[] depth = new int[tree.size()];
        int[][] successors = new int[tree.size()][];
        for (int i = 0; i < tree.size(); i++) {
            depth[i] = tree.depth(i);
            successors[i] = tree.successors(i);
        }
        fields.put("depth", depth);
        fields.put("Successors", successors);
        fields.put("mask", maskAsInts(tree.ancestorMask()));
        fields.put("roots", tree.levelNodes());
        fields.put("branches", tree.branches());
        List<String> lines = new ArrayList<>();
        try {
            for (Map.Entry<String, Object> e : fields.entrySet()) {
                lines.add("  " + JSON.writeValueAsString(e.getKey()) + ": " + JSON.writeValueAsString(e.getValue()));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("growmap serialisation failed", e);
        }
        return "{\n" + String.join(",\n", lines) + "\n}\n";
    }

    public static void write(Tree tree, Path file) throws IOException {
        Files.writeString(file, write(tree));
    }

    public static Tree read(Path file) throws IOException {
        return read(Files.readString(file), file.toString());
    }

    /**
     * @param source names the origin in error messages
     * @throws IllegalArgumentException if the text is not a consistent growmap
     */
    public static Tree read(String text, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": expected a JSON object with growmap fields");
        }
        Tree tree;
        try {
            tree = Tree.fromSuccessors(intMatrix(root, "Successors", source));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
        checkSize(root, tree, source);
        checkVector(source, "depth", intVector(root, "depth", source), depths(tree));
        checkMatrix(source, "mask", intMatrix(root, "mask", source), maskAsInts(tree.ancestorMask()));
        checkMatrix(source, "roots", intMatrix(root, "roots", source), tree.levelNodes().toArray(int[][]::new));
        checkMatrix(source, "branches", intMatrix(root, "branches", source), tree.branches().toArray(int[][]::new));
        return tree;
    }

    private static void checkSize(JsonNode root, Tree tree, String source) {
        JsonNode size = required(root, "size", source);
        if (!size.canConvertToInt() || size.asInt() != tree.size()) {
            throw new IllegalArgumentException(source + ": field 'size' is " + size
                    + ": expected " + tree.size() + " (the node count Successors describes)");
        }
    }

    private static int[] depths(Tree tree) {
        int[] d = new int[tree.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = tree.depth(i);
        }
        return d;
    }

    private static int[][] maskAsInts(boolean[][] mask) {
        int[][] out = new int[mask.length][mask.length];
        for (int i = 0; i < mask.length; i++) {
            for (int j = 0; j < mask.length; j++) {
                out[i][j] = mask[i][j] ? 1 : 0;
            }
        }
        return out;
    }

    private static void checkVector(String source, String field, int[] actual, int[] expected) {
        if (actual.length != expected.length) {
            throw new IllegalArgumentException(source + ": field '" + field + "' has " + actual.length
                    + " entries: expected " + expected.length);
        }
        for (int i = 0; i < actual.length; i++) {
            if (actual[i] != expected[i]) {
                throw new IllegalArgumentException(source + ": field '" + field + "'[" + i + "] is " + actual[i]
                        + ": expected " + expected[i] + " (from Successors)");
            }
        }
    }

    private static void checkMatrix(String source, String field, int[][] actual, int[][] expected) {
        if (actual.length != expected.length) {
            throw new IllegalArgumentException(source + ": field '" + field + "' has " + actual.length
                    + " rows: expected " + expected.length + " (from Successors)");
        }
        for (int i = 0; i < actual.length; i++) {
            if (!Arrays.equals(actual[i], expected[i])) {
                throw new IllegalArgumentException(source + ": field '" + field + "'[" + i + "] is "
                        + Arrays.toString(actual[i]) + ": expected " + Arrays.toString(expected[i])
                        + " (from Successors)");
            }
        }
    }

    private static JsonNode required(JsonNode root, String field, String source) {
        JsonNode node = root.get(field);
        if (node == null) {
            throw new IllegalArgumentException(source + ": field '" + field + "' is missing");
        }
        return node;
    }

    private static int[] intVector(JsonNode root, String field, String source) {
        return ints(required(root, field, source), source + ": field '" + field + "'");
    }

    private static int[][] intMatrix(JsonNode root, String field, String source) {
        JsonNode node = required(root, field, source);
        if (!node.isArray()) {
            throw new IllegalArgumentException(source + ": field '" + field + "' is " + node.getNodeType()
                    + ": expected a list of lists of integers");
        }
        int[][] out = new int[node.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = ints(node.get(i), source + ": field '" + field + "'[" + i + "]");
        }
        return out;
    }

    private static int[] ints(JsonNode node, String where) {
        if (!node.isArray()) {
            throw new IllegalArgumentException(where + " is " + node.getNodeType() + ": expected a list of integers");
        }
        int[] out = new int[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new IllegalArgumentException(where + "[" + i + "] is " + v + ": expected an integer");
            }
            out[i] = v.asInt();
        }
        return out;
    }
}
