package dev.sequoia.engine.speculative;

import dev.sequoia.decode.DynamicTreePolicy;
import dev.sequoia.decode.StaticTreePolicy;
import dev.sequoia.decode.TreePolicy;
import dev.sequoia.tree.GrowmapJson;
import dev.sequoia.tree.Tree;
import dev.sequoia.tree.TreeShapes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A resolved tree policy: what the draft grows each step and at most how many nodes (root included) that
 * is. Parsed from the command-line words: {@code chain:N}, {@code KxL}, {@code dynamic:N}, a growmap JSON
 * file; {@code auto} is resolved by {@link AutoTree} because it needs measurements.
 *
 * @param policy      the policy handed to the decoder
 * @param maxSize     most nodes per step, root included
 * @param description for logs and stats
 * @param tree        the static tree, or null for a dynamic policy
 */
public record TreeSpec(TreePolicy policy, int maxSize, String description, Tree tree) {
    private static final Pattern CHAIN = Pattern.compile("chain:(\\d+)");
    private static final Pattern K_BY_L = Pattern.compile("(\\d+)x(\\d+)");
    private static final Pattern DYNAMIC = Pattern.compile("dynamic:(\\d+)");

    public static TreeSpec of(Tree tree, String description) {
        return new TreeSpec(new StaticTreePolicy(tree), tree.size(), description, tree);
    }

    /**
     * Parses every policy but {@code none} and {@code auto}.
     *
     * @param depth most levels for a dynamic tree (0: 16)
     */
    public static TreeSpec parse(String spec, int depth) {
        Matcher m;
        if ((m = CHAIN.matcher(spec)).matches()) {
            int length = positive(m.group(1), "chain length", spec);
            return of(TreeShapes.chain(length), spec);
        }
        if ((m = K_BY_L.matcher(spec)).matches()) {
            return of(TreeShapes.kByL(positive(m.group(1), "K", spec), positive(m.group(2), "L", spec)), spec);
        }
        if ((m = DYNAMIC.matcher(spec)).matches()) {
            int budget = positive(m.group(1), "budget", spec);
            int levels = depth > 0 ? depth : 16;
            return new TreeSpec(new DynamicTreePolicy(budget, levels, budget, 8), budget, spec, null);
        }
        Path file = Path.of(spec);
        if (Files.isRegularFile(file)) {
            try {
                return of(GrowmapJson.read(file), file.getFileName().toString());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the growmap " + file + ": " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("unknown tree policy '" + spec
                + "': expected auto, none, chain:N, KxL (e.g. 4x8), dynamic:N or an existing growmap JSON file");
    }

    private static int positive(String digits, String what, String spec) {
        int v;
        try {
            v = Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            v = -1;
        }
        if (v <= 0 || v > 65536) {
            throw new IllegalArgumentException("tree policy '" + spec + "': " + what + " must be in 1..65536, got " + digits);
        }
        return v;
    }
}
