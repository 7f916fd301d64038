package dev.sequoia.experiments.figures;

import dev.sequoia.experiments.output.CsvTable;
import dev.sequoia.experiments.output.Figure;
import dev.sequoia.experiments.pair.TinyPair;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every experiment's --quick variant end to end on the real tiny pair: the CSV has the experiment's columns and
 * rows, the PNG is the figure's size and not blank, REPORT.md has the section, and the plotted data is the CSV's.
 */
class QuickExperimentsTest {
    static final Path MODELS = Path.of("..").resolve(TinyPair.BUNDLED);
    static TinyPair pair;

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    static RunContext context(Path out) {
        return new RunContext(true, out, MODELS, 1, 1, "bin/sequoia experiment NAME --quick");
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalability", "robustness", "optimizer", "offload", "exactness"})
    void quickVariantWritesCsvPngAndReportSection(String name, @TempDir Path out) throws Exception {
        Experiment e = Experiments.byName(name).orElseThrow();
        ExperimentRunner.Outcome o;
        try (RunContext ctx = context(out)) {
            o = ExperimentRunner.run(e, ctx);
        }
        List<String> header = List.of(Files.readAllLines(o.csv()).getFirst().split(","));
        assertEquals(e.columns(), header, "CSV columns");
        assertFalse(o.rows().isEmpty(), "CSV rows");
        for (Map<String, String> row : o.rows()) assertEquals(header.size(), row.size());

        BufferedImage png = ImageIO.read(o.png().toFile());
        assertEquals(o.figure().width(), png.getWidth());
        assertEquals(o.figure().height(), png.getHeight());
        assertTrue(colours(png) > 8, "the PNG looks blank");

        String report = Files.readString(o.report());
        assertTrue(report.contains("<!-- begin experiment " + name + "-quick -->"), "REPORT.md section");
        assertTrue(report.contains("figures/" + name + "-quick.png"), "the section shows the plot");
        assertTrue(report.contains("**Against the paper.**"), "the section compares with the paper");

        plottedDataIsTheCsvs(o.figure(), o.rows());
        if (name.equals("offload")) offloadDecodesPlainlyAndWithTheRealDraft(o.rows(), report);
        if (name.equals("optimizer")) optimizerMeasuresPlainDecodingBesideEachTree(o.rows(), report);
    }

    /**
     * Each CPU configuration's decode row: plain and Sequoia s/token both measured, the speedup their ratio, the
     * greedy outputs identical (the planted target and its draft share stories260K's function), a tree the
     * optimizer chose among the measured sizes; and the report's table shows it.
     */
    static void offloadDecodesPlainlyAndWithTheRealDraft(List<Map<String, String>> rows, String report) {
        var cpu = rows.stream().filter(r -> r.get("variant").startsWith("cpu")).toList();
        Set<String> configs = new HashSet<>();
        cpu.forEach(r -> configs.add(r.get("variant") + " @ " + r.get("budget")));
        assertEquals(Set.of("cpu fp32 @ 6MiB", "cpu int8 @ 6MiB"), configs);
        for (String c : configs) {
            var decode = cpu.stream().filter(r -> (r.get("variant") + " @ " + r.get("budget")).equals(c)
                    && r.get("kind").equals("decode")).toList();
            assertEquals(1, decode.size(), c + ": one decode row");
            var d = decode.getFirst();
            double ar = Double.parseDouble(d.get("ar_s_per_token")), seq = Double.parseDouble(d.get("sequoia_s_per_token"));
            assertTrue(ar > 0 && seq > 0, c + ": AR " + ar + " and Sequoia " + seq + " s/token measured");
            assertEquals(ar / seq, Double.parseDouble(d.get("speedup")), 1e-4 * ar / seq, c + ": speedup = AR / Sequoia");
            assertEquals("true", d.get("identical"), c + ": greedy plain and Sequoia outputs");
            assertTrue(Double.parseDouble(d.get("g")) >= 1, c + ": tokens per step");
            String n = d.get("n");
            assertTrue(cpu.stream().anyMatch(r -> r.get("kind").equals("t") && r.get("n").equals(n)
                    && (r.get("variant") + " @ " + r.get("budget")).equals(c)), c + ": the tree size " + n + " is a measured t(n)");
            assertTrue(report.contains("| " + c + " |"), c + " in the report's table");
        }
    }

    /** The CPU curves measure plain decoding once per configuration and every size's s/token beside it. */
    static void optimizerMeasuresPlainDecodingBesideEachTree(List<Map<String, String>> rows, String report) {
        var measured = rows.stream().filter(r -> r.get("curve").startsWith("cpu")).toList();
        assertFalse(measured.isEmpty());
        for (String curve : List.of("cpu resident", "cpu streamed")) {
            var r = measured.stream().filter(x -> x.get("curve").equals(curve)).toList();
            assertEquals(1, r.stream().map(x -> x.get("ar_s_per_token")).distinct().count(), curve + ": one AR measurement");
            for (var x : r) {
                double ar = Double.parseDouble(x.get("ar_s_per_token")), t = Double.parseDouble(x.get("measured_s_per_token"));
                assertTrue(ar > 0 && t > 0, curve + " n=" + x.get("n") + ": AR " + ar + ", tree " + t + " s/token");
                assertEquals(ar / t, Double.parseDouble(x.get("measured_speedup")), 1e-4 * ar / t, curve + ": speedup = AR / tree");
            }
        }
        assertTrue(rows.stream().filter(r -> r.get("curve").startsWith("h200"))
                .allMatch(r -> r.get("ar_s_per_token").equals("NaN")), "nothing is measured on the H200 curves here");
        assertTrue(report.contains("| AR ms/token |") || report.contains("AR ms/token"), "the table's AR column");
        assertTrue(report.contains("| ms/token (measured) | AR (plain) |"), "the per-size table beside AR");
    }

    /**
     * Every data point of every series (reference lines aside) is a row of the CSV (its x and y in one row; its
     * error bar too, when drawn), and the XChart charts hold exactly the figure's series.
     */
    static void plottedDataIsTheCsvs(Figure figure, List<Map<String, String>> rows) {
        List<XYChart> charts = figure.charts();
        assertEquals(figure.panels().size(), charts.size());
        int points = 0;
        for (int p = 0; p < charts.size(); p++) {
            for (Figure.Series s : figure.panels().get(p).series()) {
                if (s.x().length == 0) continue;
                XYSeries drawn = charts.get(p).getSeriesMap().get(s.name());
                assertNotNull(drawn, "series " + s.name() + " drawn");
                assertArrayEquals(s.x(), drawn.getXData(), s.name());
                assertArrayEquals(s.y(), drawn.getYData(), s.name());
                if (s.style() == Figure.Style.REFERENCE) continue;
                for (int i = 0; i < s.x().length; i++) {
                    double x = s.x()[i], y = s.y()[i], err = s.err()[i];
                    boolean found = rows.stream().anyMatch(r -> holds(r, x) && holds(r, y) && (err == 0 || holds(r, err)));
                    assertTrue(found, "point (" + x + ", " + y + " ± " + err + ") of " + s.name() + " is in no CSV row");
                    points++;
                }
            }
        }
        assertTrue(points > 0, "the figure plots no data");
    }

    private static boolean holds(Map<String, String> row, double v) {
        for (String s : row.values()) {
            try {
                if (Double.parseDouble(s) == v) return true;
            } catch (NumberFormatException ignored) {
                // a text column
            }
        }
        return false;
    }

    private static int colours(BufferedImage img) {
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) for (int x = 0; x < img.getWidth(); x += 3) seen.add(img.getRGB(x, y));
        return seen.size();
    }

    @Test
    void scalabilityFigureIsTheCsvColumnByColumn(@TempDir Path out) throws Exception {
        ExperimentRunner.Outcome o;
        try (RunContext ctx = context(out)) {
            o = ExperimentRunner.run(new Scalability(), ctx);
        }
        var rows = CsvTable.read(o.csv()).stream()
                .filter(r -> r.get("temperature").equals("0.6") && r.get("shape").equals("sequoia")).toList();
        Figure.Series measured = o.figure().panels().get(1).series().stream().filter(s -> s.name().equals("sequoia"))
                .findFirst().orElseThrow();
        Figure.Series predicted = o.figure().panels().get(1).series().stream()
                .filter(s -> s.name().startsWith("sequoia: DP")).findFirst().orElseThrow();
        assertArrayEquals(rows.stream().mapToDouble(r -> Double.parseDouble(r.get("nodes"))).toArray(), measured.x());
        assertArrayEquals(rows.stream().mapToDouble(r -> Double.parseDouble(r.get("tokens_per_step"))).toArray(), measured.y());
        assertArrayEquals(rows.stream().mapToDouble(r -> Double.parseDouble(r.get("stderr"))).toArray(), measured.err());
        assertArrayEquals(rows.stream().mapToDouble(r -> Double.parseDouble(r.get("predicted_g"))).toArray(), predicted.y());
    }

    /** A run stopped after a few tasks (its last line torn) and resumed ends with the uninterrupted run's CSV. */
    @Test
    void resumingFromAPartialCsvGivesTheUninterruptedCsv(@TempDir Path a, @TempDir Path b) throws Exception {
        Experiment e = new Robustness();
        try (RunContext ctx = context(a)) {
            ExperimentRunner.run(e, ctx);
        }
        Path full = ExperimentRunner.csvFile(a, e.name(), true);
        List<String> lines = Files.readAllLines(full);
        Path partial = ExperimentRunner.csvFile(b, e.name(), true);
        Files.createDirectories(partial.getParent());
        String torn = lines.get(5).substring(0, lines.get(5).length() / 2);
        Files.writeString(partial, String.join("\n", lines.subList(0, 5)) + "\n" + torn);
        try (RunContext ctx = context(b)) {
            ExperimentRunner.run(new Robustness(), ctx);
        }
        assertEquals(Files.readString(full), Files.readString(partial));
    }

    /**
     * The timed experiments resumed after their first task (the second's first line torn): the first task's rows
     * are kept byte for byte, every row comes back in the uninterrupted run's order with the same key, kind and
     * size, and the rows computed without timing (the H200 curves' projections) equal the uninterrupted run's.
     * Timings are measured anew for the redone tasks, so only they may differ.
     */
    @ParameterizedTest
    @ValueSource(strings = {"optimizer", "offload"})
    void timedExperimentsResumeFromAPartialCsv(String name, @TempDir Path a, @TempDir Path b) throws Exception {
        Experiment e = Experiments.byName(name).orElseThrow();
        try (RunContext ctx = context(a)) {
            ExperimentRunner.run(e, ctx);
        }
        List<String> lines = Files.readAllLines(ExperimentRunner.csvFile(a, name, true));
        List<String> firstKey = key(lines.get(1), e.keyColumns());
        int end = 1;
        while (key(lines.get(end), e.keyColumns()).equals(firstKey)) end++;
        Path partial = ExperimentRunner.csvFile(b, name, true);
        Files.createDirectories(partial.getParent());
        Files.writeString(partial, String.join("\n", lines.subList(0, end)) + "\n" + lines.get(end).substring(0, 12));
        try (RunContext ctx = context(b)) {
            ExperimentRunner.run(Experiments.byName(name).orElseThrow(), ctx);
        }
        List<String> resumed = Files.readAllLines(partial);
        assertEquals(lines.subList(0, end), resumed.subList(0, end), "the first task's rows are kept as they were");
        assertEquals(lines.size(), resumed.size());
        List<String> columns = List.of(lines.getFirst().split(","));
        List<String> same = new java.util.ArrayList<>(columns.subList(0, e.keyColumns()));
        same.addAll(columns.stream().filter(c -> c.equals("kind") || c.equals("n")).toList());
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).startsWith("h200")) {
                assertEquals(lines.get(i), resumed.get(i), "a projection row");
                continue;
            }
            List<String> x = List.of(lines.get(i).split(",", -1)), y = List.of(resumed.get(i).split(",", -1));
            for (String c : same) {
                // a decoding row's tree size is the optimizer's pick over the redone t(n): it may differ
                if (c.equals("n") && x.contains("decode")) continue;
                assertEquals(x.get(columns.indexOf(c)), y.get(columns.indexOf(c)), "row " + i + ", " + c);
            }
        }
    }

    private static List<String> key(String line, int columns) {
        return List.of(line.split(",", -1)).subList(0, columns);
    }
}
