package dev.sequoia.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the root ARCHITECTURE.md true: the "may import" table between its {@code dependency-rules} markers is
 * the rule, and every main source file of every module is scanned for the project's own names it uses
 * ({@code dev.sequoia.*}, in imports and fully qualified references; comments and strings do not count).
 * A plain source scan rather than a bytecode one, so it needs no library and reads exactly what a reviewer reads.
 */
class ArchitectureTest {
    private static final List<String> MODULES = List.of("native-bindings", "offload", "sequoia", "engine", "experiments");
    /** Top packages of the other modules, mapped to their module's unit name; anything else is the sequoia module. */
    private static final Map<String, String> MODULE_OF_PACKAGE = Map.of(
            "cuda", "native-bindings", "offload", "offload", "experiments", "experiments", "engine", "engine");
    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.sequoia((?:\\.[a-z_]\\w*)+)");
    private static final Pattern RULE_ROW = Pattern.compile("^\\|\\s*([\\w.-]+)\\s*\\|([^|]*)\\|\\s*$");

    @Test
    void everyModuleAndPackageImportsOnlyWhatArchitectureMdAllows() throws IOException {
        Path root = repositoryRoot();
        Map<String, Set<String>> rules = parseRules(Files.readString(root.resolve("ARCHITECTURE.md")));
        Map<String, Set<String>> actual = scan(root);
        List<String> problems = violations(rules, actual);
        assertTrue(problems.isEmpty(), "ARCHITECTURE.md's dependency rules are broken (fix the code, or the "
                + "table if the new dependency is right):\n  " + String.join("\n  ", problems));
    }

    @Test
    void theTableStatesTheRulesTheIssueAsksFor() throws IOException {
        Map<String, Set<String>> rules = parseRules(Files.readString(repositoryRoot().resolve("ARCHITECTURE.md")));
        for (String low : List.of("tensor", "kv", "kernel", "model", "format", "tokenizer")) {
            for (String edge : List.of("api", "server", "cli", "engine")) {
                assertFalse(rules.get(low).contains(edge), low + " may not import " + edge);
            }
        }
        assertEquals(Set.of(), rules.get("sequoia"), "the sequoia module imports nothing of ours");
        rules.forEach((unit, allowed) -> assertTrue(!allowed.contains("server") || unit.equals("cli"),
                "only cli may import server, not " + unit));
    }

    @Test
    void aForbiddenImportOrFullyQualifiedNameIsReported() {
        Map<String, Set<String>> rules = parseRules("""
                <!-- dependency-rules:begin -->
                | unit   | may import |
                |--------|------------|
                | kernel | tensor     |
                | tensor |            |
                <!-- dependency-rules:end -->
                """);
        String source = """
                package dev.sequoia.engine.kernel;
                import dev.sequoia.engine.tensor.TensorType;
                // dev.sequoia.engine.cli.Main in a comment does not count, nor does "dev.sequoia.engine.api.X"
                class K { Object o = new dev.sequoia.engine.api.Engine(); }
                """;
        Map<String, Set<String>> actual = new TreeMap<>();
        record(actual, "engine", source);
        assertEquals(Map.of("kernel", Set.of("tensor", "api")), actual);
        assertEquals(List.of("kernel imports api"), violations(rules, actual));
    }

    @Test
    void backendAndBenchSubpackagesAreUnitsOfTheirOwnOtherSubpackagesBelongToTheirPackage() {
        assertEquals("bench.device", unitOf("dev.sequoia.engine.bench.device"));
        assertEquals("bench", unitOf("dev.sequoia.engine.bench"));
        assertEquals("backend.cuda", unitOf("dev.sequoia.engine.backend.cuda"));
        assertEquals("format", unitOf("dev.sequoia.engine.format.gguf"));
        assertEquals("native-bindings", unitOf("dev.sequoia.cuda"));
    }

    @Test
    void aUnitMissingFromTheTableIsReported() {
        Map<String, Set<String>> actual = Map.of("newpackage", Set.of());
        assertEquals(List.of("newpackage has no row in ARCHITECTURE.md's table"), violations(Map.of(), actual));
    }

    static List<String> violations(Map<String, Set<String>> rules, Map<String, Set<String>> actual) {
        List<String> problems = new ArrayList<>();
        actual.forEach((unit, used) -> {
            Set<String> allowed = rules.get(unit);
            if (allowed == null) {
                problems.add(unit + " has no row in ARCHITECTURE.md's table");
                return;
            }
            for (String target : used) {
                boolean engineWide = allowed.contains("engine") && !MODULES.contains(target);
                if (!allowed.contains(target) && !engineWide) problems.add(unit + " imports " + target);
            }
        });
        return problems;
    }

    /** The rows between the markers: unit → the units it may import. */
    static Map<String, Set<String>> parseRules(String markdown) {
        int begin = markdown.indexOf("<!-- dependency-rules:begin -->");
        int end = markdown.indexOf("<!-- dependency-rules:end -->");
        if (begin < 0 || end < begin) throw new IllegalStateException("ARCHITECTURE.md: no dependency-rules markers");
        Map<String, Set<String>> rules = new TreeMap<>();
        for (String line : markdown.substring(begin, end).split("\n")) {
            Matcher row = RULE_ROW.matcher(line.strip());
            if (!row.matches() || row.group(1).equals("unit")) continue;
            Set<String> allowed = new LinkedHashSet<>();
            for (String name : row.group(2).split(",")) if (!name.isBlank()) allowed.add(name.strip());
            rules.put(row.group(1), allowed);
        }
        return rules;
    }

    private static Map<String, Set<String>> scan(Path root) throws IOException {
        Map<String, Set<String>> actual = new TreeMap<>();
        for (String module : MODULES) {
            Path sources = root.resolve(module).resolve("src/main/java");
            try (Stream<Path> files = Files.walk(sources)) {
                files.filter(f -> f.toString().endsWith(".java")).forEach(f -> record(actual, module, read(f)));
            }
        }
        return actual;
    }

    /** Adds what one source file of {@code module} uses to its unit's set. */
    static void record(Map<String, Set<String>> actual, String module, String source) {
        Matcher pkg = PACKAGE.matcher(source);
        if (!pkg.find()) return;
        boolean engine = module.equals("engine");
        String self = engine ? unitOf(pkg.group(1)) : module;
        Set<String> used = actual.computeIfAbsent(self, k -> new TreeSet<>());
        Matcher ref = REFERENCE.matcher(withoutCommentsAndStrings(source.substring(pkg.end())));
        while (ref.find()) {
            String target = unitOf("dev.sequoia" + ref.group(1));
            // Outside the engine, any engine package counts as the engine module.
            if (!engine && !MODULES.contains(target)) target = "engine";
            if (!target.equals(self)) used.add(target);
        }
    }

    /** The rule unit of a package: a module name, or an engine package (with its own rows for some subpackages). */
    static String unitOf(String packageName) {
        String[] p = packageName.split("\\.");
        String top = p.length > 2 ? p[2] : "";
        String module = MODULE_OF_PACKAGE.getOrDefault(top, "sequoia");
        if (!module.equals("engine")) return module;
        if (p.length < 4) return "engine";
        if (p.length > 4 && (p[3].equals("backend") || p[3].equals("bench"))) return p[3] + "." + p[4];
        return p[3];
    }

    private static String withoutCommentsAndStrings(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ")
                .replaceAll("//[^\\n]*", " ")
                .replaceAll("(?s)\"\"\".*?\"\"\"", "\"\"")
                .replaceAll("\"(?:\\\\.|[^\"\\\\\\n])*\"", "\"\"");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The checkout's root: the first folder upwards from the working directory that holds ARCHITECTURE.md. */
    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("ARCHITECTURE.md")) && Files.isDirectory(dir.resolve("engine"))) return dir;
        }
        throw new IllegalStateException("no ARCHITECTURE.md above " + Path.of("").toAbsolutePath());
    }
}
