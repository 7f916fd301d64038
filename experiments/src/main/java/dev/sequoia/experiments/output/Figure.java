package dev.sequoia.experiments.output;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An experiment's plot as data: panels of series, each series x, y and a standard error per point (drawn as
 * error bars; 0 draws none). Built from the CSV's rows, so the picture shows exactly the file's numbers;
 * {@link #charts} turns it into XChart charts and {@link #save} renders them side by side into a PNG without a
 * display (java.awt.headless).
 */
public record Figure(List<Panel> panels) {
    public static final int PANEL_WIDTH = 640;
    public static final int PANEL_HEIGHT = 460;

    /**
     * How a series is drawn; REFERENCE is a guide line (e.g. y = x), dashed grey, not data of the CSV; HIGHLIGHT marks
     * chosen points in black. Series named "GROUP: what" share GROUP's colour (a curve and its prediction).
     */
    public enum Style { LINE, DASHED, POINTS, REFERENCE, HIGHLIGHT }

    private static final java.awt.Color[] PALETTE = {new java.awt.Color(0x1f77b4), new java.awt.Color(0xff7f0e),
            new java.awt.Color(0x2ca02c), new java.awt.Color(0xd62728), new java.awt.Color(0x9467bd),
            new java.awt.Color(0x8c564b), new java.awt.Color(0xe377c2), new java.awt.Color(0x7f7f7f),
            new java.awt.Color(0xbcbd22), new java.awt.Color(0x17becf)};

    public record Series(String name, double[] x, double[] y, double[] err, Style style) {
        public Series {
            if (x.length != y.length || x.length != err.length) {
                throw new IllegalArgumentException("series " + name + ": x, y and err lengths differ");
            }
        }
    }

    /** @param legendInside the legend in the plot's upper left (where these plots' curves start low), else below it */
    public record Panel(String title, String xLabel, String yLabel, boolean logX, boolean logY, List<Series> series,
                        boolean legendInside) {
        /** A panel whose legend goes inside when it has at most 5 entries. */
        public Panel(String title, String xLabel, String yLabel, boolean logX, boolean logY, List<Series> series) {
            this(title, xLabel, yLabel, logX, logY, series, series.size() <= 5);
        }
    }

    /** A series from parallel lists (NaN errors become 0: no bar). */
    public static Series series(String name, List<Double> x, List<Double> y, List<Double> err, Style style) {
        double[] e = err.stream().mapToDouble(v -> Double.isNaN(v) ? 0 : v).toArray();
        return new Series(name, x.stream().mapToDouble(Double::doubleValue).toArray(),
                y.stream().mapToDouble(Double::doubleValue).toArray(), e, style);
    }

    public int width() { return PANEL_WIDTH * Math.min(2, panels.size()); }

    public int height() { return PANEL_HEIGHT * ((panels.size() + 1) / 2); }

    /** One XChart chart per panel. */
    public List<XYChart> charts() {
        List<XYChart> charts = new ArrayList<>();
        for (Panel p : panels) {
            XYChart chart = new XYChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(p.title())
                    .xAxisTitle(p.xLabel()).yAxisTitle(p.yLabel()).build();
            Styler s = chart.getStyler();
            chart.getStyler().setXAxisLogarithmic(p.logX());
            chart.getStyler().setYAxisLogarithmic(p.logY());
            s.setLegendPosition(p.legendInside() ? Styler.LegendPosition.InsideNW : Styler.LegendPosition.OutsideS);
            s.setLegendFont(s.getLegendFont().deriveFont(10f));
            s.setChartBackgroundColor(java.awt.Color.WHITE);
            chart.getStyler().setErrorBarsColorSeriesColor(true);
            java.util.Map<String, java.awt.Color> groups = new java.util.LinkedHashMap<>();
            for (Series series : p.series()) {
                if (series.x().length == 0) continue;
                String group = series.name().contains(": ") ? series.name().substring(0, series.name().indexOf(": ")) : series.name();
                boolean bars = java.util.Arrays.stream(series.err()).anyMatch(v -> v > 0);
                XYSeries xy = bars ? chart.addSeries(series.name(), series.x(), series.y(), drawnErrors(series, p.logY()))
                        : chart.addSeries(series.name(), series.x(), series.y());
                switch (series.style()) {
                    case LINE -> xy.setMarker(SeriesMarkers.CIRCLE);
                    case DASHED, REFERENCE -> {
                        xy.setMarker(SeriesMarkers.NONE);
                        xy.setLineStyle(SeriesLines.DASH_DASH);
                    }
                    case HIGHLIGHT -> {
                        xy.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                        xy.setMarker(SeriesMarkers.DIAMOND);
                    }
                    case POINTS -> {
                        xy.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                        xy.setMarker(SeriesMarkers.DIAMOND);
                    }
                }
                java.awt.Color colour = switch (series.style()) {
                    case REFERENCE -> java.awt.Color.GRAY;
                    case HIGHLIGHT -> java.awt.Color.BLACK;
                    default -> groups.computeIfAbsent(group, g -> PALETTE[groups.size() % PALETTE.length]);
                };
                xy.setLineColor(colour);
                xy.setMarkerColor(colour);
            }
            charts.add(chart);
        }
        return charts;
    }

    /** On a log axis a bar reaching zero cannot be drawn: it is cut at 1% of its point (the CSV keeps the real one). */
    private static double[] drawnErrors(Series s, boolean logY) {
        double[] e = s.err().clone();
        if (logY) for (int i = 0; i < e.length; i++) e[i] = Math.min(e[i], 0.99 * s.y()[i]);
        return e;
    }

    /** Renders the panels (two per row) into a PNG at {@code file}. */
    public void save(Path file) {
        System.setProperty("java.awt.headless", "true");
        List<XYChart> charts = charts();
        String name = file.toString();
        if (!name.endsWith(".png")) throw new IllegalArgumentException("figure file " + file + ": expected a .png name");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            int cols = Math.min(2, charts.size());
            int rows = (charts.size() + cols - 1) / cols;
            if (charts.size() == 1) {
                BitmapEncoder.saveBitmap(charts.getFirst(), name.substring(0, name.length() - 4), BitmapEncoder.BitmapFormat.PNG);
            } else {
                // the grid form wants full rows: pad with blank charts
                List<XYChart> grid = new ArrayList<>(charts);
                while (grid.size() < rows * cols) grid.add(new XYChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).build());
                BitmapEncoder.saveBitmap(grid, rows, cols, name.substring(0, name.length() - 4), BitmapEncoder.BitmapFormat.PNG);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the figure " + file + ": " + e.getMessage(), e);
        }
    }
}
