package dev.sequoia.experiments.figures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The GPU t(n) curves measured on the H200 (experiments/device/curves.csv, transcribed from RESULTS.md): per
 * scenario, the verification seconds by tree size, the bytes streamed per pass, the measured link rate and the
 * draft's time per tree level.
 */
record GpuCurves(List<Curve> curves) {
    record Curve(String scenario, SortedMap<Integer, Double> seconds, double bytesPerPass, double linkGbps,
                 double draftLevelSeconds) {
        /**
         * t(n) over a link of {@code gbps}: the pass keeps its compute and pays the copy's difference, exact while
         * the copy dominates (as in these scenarios, 82-97% stalled on the copy), an upper bound otherwise.
         */
        SortedMap<Integer, Double> over(double gbps) {
            double extra = bytesPerPass / (gbps * 1e9) - bytesPerPass / (linkGbps * 1e9);
            SortedMap<Integer, Double> out = new TreeMap<>();
            seconds.forEach((n, t) -> out.put(n, t + extra));
            return out;
        }
    }

    static GpuCurves read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the GPU curves " + file + ": " + e.getMessage(), e);
        }
        String expected = "scenario,n,t_seconds,bytes_per_pass,link_gbps,draft_level_seconds";
        if (lines.isEmpty() || !lines.getFirst().equals(expected)) {
            throw new IllegalArgumentException(file + ": expected the header " + expected);
        }
        Map<String, Curve> byName = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] v = line.split(",");
            if (v.length != 6) throw new IllegalArgumentException(file + ": line '" + line + "' needs 6 values");
            Curve c = byName.computeIfAbsent(v[0], k -> new Curve(k, new TreeMap<>(), Double.parseDouble(v[3]),
                    Double.parseDouble(v[4]), Double.parseDouble(v[5])));
            c.seconds().put(Integer.parseInt(v[1]), Double.parseDouble(v[2]));
        }
        return new GpuCurves(new ArrayList<>(byName.values()));
    }

    /** The file given as {@code -P gpu-curves=FILE}, else experiments/device/curves.csv of the project. */
    static Path file(RunContext ctx) {
        String given = ctx.param("gpu-curves", null);
        if (given != null) return Path.of(given);
        for (Path p : List.of(Path.of(System.getProperty("sequoia.home", ".")).resolve("experiments/device/curves.csv"),
                Path.of("device/curves.csv"), Path.of("../experiments/device/curves.csv"))) {
            if (Files.isRegularFile(p)) return p;
        }
        throw new IllegalArgumentException("no experiments/device/curves.csv found: give -P gpu-curves=FILE");
    }
}
