package dev.sequoia.experiments.figures;

import dev.sequoia.experiments.output.CsvTable;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/** Small helpers for the experiments' CSV rows (maps from column to text). */
final class Rows {
    private Rows() {}

    static double d(Map<String, String> row, String column) {
        String v = row.get(column);
        if (v == null) throw new IllegalArgumentException("row " + row + " has no column " + column);
        return Double.parseDouble(v);
    }

    static List<Map<String, String>> where(List<Map<String, String>> rows, Predicate<Map<String, String>> p) {
        return rows.stream().filter(p).toList();
    }

    static List<Double> col(List<Map<String, String>> rows, String column) {
        return rows.stream().map(r -> d(r, column)).toList();
    }

    /** "x ± se" with {@code digits} decimals; the error left out when NaN. */
    static String pm(double v, double se, int digits) {
        String f = "%." + digits + "f";
        return Double.isNaN(se) ? String.format(Locale.ROOT, f, v) : String.format(Locale.ROOT, f + " ± " + f, v, se);
    }

    static String f(double v, int digits) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    static String num(double v) { return CsvTable.num(v); }
}
