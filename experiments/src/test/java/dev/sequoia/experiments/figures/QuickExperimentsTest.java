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
}
