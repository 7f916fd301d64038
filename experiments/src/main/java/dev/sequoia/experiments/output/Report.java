package dev.sequoia.experiments.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The generated REPORT.md: a fixed preface and one section per experiment between marker comments. Running one
 * experiment replaces its own section and keeps the others, in the order of the experiment list.
 */
public final class Report {
    private static final Pattern SECTION = Pattern.compile(
            "<!-- begin experiment (\\S+) -->\\n(.*?)<!-- end experiment \\1 -->\\n", Pattern.DOTALL);

    private Report() {}

    /** Writes {@code markdown} as the section of {@code name}; {@code order} lists every experiment name. */
    public static void update(Path file, String preface, String name, String markdown, List<String> order) {
        Map<String, String> sections = new LinkedHashMap<>(sections(file));
        sections.put(name, markdown.endsWith("\n") ? markdown : markdown + "\n");
        StringBuilder out = new StringBuilder(preface.strip()).append("\n\n");
        for (String n : order) {
            String s = sections.remove(n);
            if (s != null) append(out, n, s);
        }
        sections.forEach((n, s) -> append(out, n, s)); // sections of experiments no longer listed stay at the end
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The sections found in {@code file}, by experiment name. */
    public static Map<String, String> sections(Path file) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) return out;
        try {
            Matcher m = SECTION.matcher(Files.readString(file, StandardCharsets.UTF_8));
            while (m.find()) out.put(m.group(1), m.group(2));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static void append(StringBuilder out, String name, String section) {
        out.append("<!-- begin experiment ").append(name).append(" -->\n").append(section)
                .append("<!-- end experiment ").append(name).append(" -->\n\n");
    }

    /** A markdown table. */
    public static String table(List<String> header, List<List<String>> rows) {
        StringBuilder b = new StringBuilder("| ").append(String.join(" | ", header)).append(" |\n|");
        header.forEach(h -> b.append(" --- |"));
        b.append('\n');
        for (List<String> r : rows) b.append("| ").append(String.join(" | ", r)).append(" |\n");
        return b.toString();
    }
}
