package dev.sequoia.experiments.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An experiment's CSV, written as it runs so that a stopped run resumes where it stopped: every task appends
 * its rows in one write, keyed by the task's key (the first {@code keyColumns} values of each of its rows);
 * on reopening, the tasks found complete are skipped. When all tasks are done the file is rewritten in plan
 * order, so a resumed run ends with the same file as an uninterrupted one. Values hold no commas or quotes.
 */
public final class CsvTable {
    private final Path file;
    private final List<String> columns;
    private final int keyColumns;
    private final Map<List<String>, List<List<String>>> byKey = new LinkedHashMap<>();

    private CsvTable(Path file, List<String> columns, int keyColumns) {
        this.file = file;
        this.columns = List.copyOf(columns);
        this.keyColumns = keyColumns;
    }

    /**
     * Opens {@code file} for a run: its complete rows are loaded when its header equals {@code columns} (a torn
     * last line, from a run killed mid-write, is dropped); a file with another header is an error.
     */
    public static CsvTable open(Path file, List<String> columns, int keyColumns) {
        if (keyColumns < 1 || keyColumns > columns.size()) {
            throw new IllegalArgumentException("key columns " + keyColumns + ": expected 1.." + columns.size());
        }
        CsvTable table = new CsvTable(file, columns, keyColumns);
        if (Files.isRegularFile(file)) table.load();
        return table;
    }

    private void load() {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (text.isEmpty()) return;
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        // every append ends its lines with a newline: text after the last one is a line torn by a killed run,
        // and the task it belonged to is redone (its earlier rows too)
        String torn = lines.removeLast();
        if (!lines.getFirst().equals(String.join(",", columns))) {
            throw new IllegalArgumentException(file + ": header '" + lines.getFirst() + "' differs from this experiment's '"
                    + String.join(",", columns) + "': delete the file (or pick another --out) to start afresh");
        }
        List<String> tornKey = torn.isEmpty() ? null : List.of(torn.split(",", -1));
        for (String line : lines.subList(1, lines.size())) {
            List<String> row = List.of(line.split(",", -1));
            if (row.size() != columns.size()) {
                throw new IllegalArgumentException(file + ": line '" + line + "' has " + row.size() + " values, expected "
                        + columns.size() + ": delete the file to start afresh");
            }
            byKey.computeIfAbsent(row.subList(0, keyColumns), k -> new ArrayList<>()).add(row);
        }
        if (tornKey != null) {
            if (tornKey.size() >= keyColumns) byKey.remove(tornKey.subList(0, keyColumns));
            rewrite(List.copyOf(byKey.keySet())); // so that appends start on a line of their own
        }
    }

    public List<String> columns() { return columns; }

    /** Whether the task with this key has its rows in the file. */
    public boolean has(List<String> key) { return byKey.containsKey(key); }

    /** Appends one task's rows (they must all carry {@code key}) and flushes them to the file. */
    public void append(List<String> key, List<List<String>> rows) {
        if (rows.isEmpty()) throw new IllegalArgumentException("task " + key + " produced no row");
        StringBuilder text = new StringBuilder();
        if (!Files.isRegularFile(file) || size(file) == 0) text.append(String.join(",", columns)).append('\n');
        for (List<String> row : rows) {
            check(key, row);
            text.append(String.join(",", row)).append('\n');
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        byKey.put(List.copyOf(key), rows.stream().map(List::copyOf).toList());
    }

    private void check(List<String> key, List<String> row) {
        if (row.size() != columns.size()) {
            throw new IllegalArgumentException("row " + row + " has " + row.size() + " values: expected " + columns.size()
                    + " (" + columns + ")");
        }
        if (!row.subList(0, keyColumns).equals(key)) {
            throw new IllegalArgumentException("row " + row + " does not start with its task's key " + key);
        }
        for (String v : row) {
            if (v.contains(",") || v.contains("\"") || v.contains("\n")) {
                throw new IllegalArgumentException("CSV value '" + v + "' holds a comma, quote or newline");
            }
        }
    }

    /** Rewrites the file with the tasks in {@code order} (every key must be present). */
    public void rewrite(List<List<String>> order) {
        StringBuilder text = new StringBuilder(String.join(",", columns)).append('\n');
        for (List<String> key : order) {
            List<List<String>> rows = byKey.get(key);
            if (rows == null) throw new IllegalStateException("task " + key + " has no rows in " + file);
            for (List<String> row : rows) text.append(String.join(",", row)).append('\n');
        }
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The rows of a CSV file as column-name maps, in file order. */
    public static List<Map<String, String>> read(Path file) {
        List<String> lines = readLines(file);
        if (lines.isEmpty()) return List.of();
        String[] header = lines.getFirst().split(",", -1);
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] v = line.split(",", -1);
            if (v.length != header.length) throw new IllegalArgumentException(file + ": line '" + line + "' has "
                    + v.length + " values, the header " + header.length);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.length; i++) row.put(header[i], v[i]);
            rows.add(row);
        }
        return rows;
    }

    /** A number as the CSVs write it: 6 significant digits, NaN for a missing value. */
    public static String num(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%.6g", v).replaceFirst("(\\.\\d*?)0+(e|$)", "$1$2").replaceFirst("\\.(e|$)", "$1");
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }
}
