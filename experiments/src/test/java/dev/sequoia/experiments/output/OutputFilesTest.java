package dev.sequoia.experiments.output;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The CSV, report and chi-square pieces the experiments share. */
class OutputFilesTest {
    @Test
    void csvResumesCompleteTasksDropsATornLineAndRewritesInPlanOrder(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("t.csv");
        Files.writeString(f, "k,v\nb,2\na,1\nc,3\nc,");
        CsvTable t = CsvTable.open(f, List.of("k", "v"), 1);
        assertTrue(t.has(List.of("a")) && t.has(List.of("b")));
        assertFalse(t.has(List.of("c")), "a task whose last line is torn is not finished");
        t.append(List.of("c"), List.of(List.of("c", "3")));
        t.rewrite(List.of(List.of("a"), List.of("b"), List.of("c")));
        assertEquals("k,v\na,1\nb,2\nc,3\n", Files.readString(f));
        assertEquals("3", CsvTable.read(f).get(2).get("v"));
    }

    @Test
    void csvRefusesAnotherHeaderAndRowsThatBreakTheFormat(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("t.csv");
        Files.writeString(f, "x,y\n1,2\n");
        assertThrows(IllegalArgumentException.class, () -> CsvTable.open(f, List.of("k", "v"), 1));
        CsvTable t = CsvTable.open(dir.resolve("u.csv"), List.of("k", "v"), 1);
        assertThrows(IllegalArgumentException.class, () -> t.append(List.of("a"), List.of(List.of("a", "1,2"))));
        assertThrows(IllegalArgumentException.class, () -> t.append(List.of("a"), List.of(List.of("b", "1"))));
    }

    @Test
    void numbersKeepSixDigitsAndIntegersStayIntegers() {
        assertEquals("3", CsvTable.num(3.0));
        assertEquals("0.123457", CsvTable.num(0.1234567));
        assertEquals("1.5e-07", CsvTable.num(1.5e-7));
        assertEquals("NaN", CsvTable.num(Double.NaN));
    }

    @Test
    void reportReplacesOneSectionAndKeepsTheOthersInOrder(@TempDir Path dir) {
        Path f = dir.resolve("REPORT.md");
        List<String> order = List.of("a", "b");
        Report.update(f, "# R", "b", "B1\n", order);
        Report.update(f, "# R", "a", "A1\n", order);
        Report.update(f, "# R", "b", "B2\n", order);
        var sections = Report.sections(f);
        assertEquals(List.of("a", "b"), List.copyOf(sections.keySet()));
        assertEquals("A1\n", sections.get("a"));
        assertEquals("B2\n", sections.get("b"));
    }

    @Test
    void chiSquareAcceptsSamplesOfTheLawAndRejectsAnotherLaw() {
        double[] p = new double[200];
        for (int i = 0; i < p.length; i++) p[i] = Math.pow(0.97, i);
        double sum = java.util.Arrays.stream(p).sum();
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        long[] same = draw(p, 20000, 1);
        double[] q = p.clone();
        q[0] += 0.01;
        q[1] -= 0.01;
        long[] other = draw(q, 20000, 2);
        assertTrue(ChiSquare.test(same, p).pValue() > 1e-3, "samples of p");
        assertTrue(ChiSquare.test(other, p).pValue() < 1e-3, "samples of a law 0.01 away");
        long[] impossible = same.clone();
        p[199] = 0;
        impossible[199]++;
        assertEquals(0, ChiSquare.test(impossible, p).pValue());
    }

    private static long[] draw(double[] p, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] counts = new long[p.length];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble(), c = 0;
            int k = 0;
            while (k < p.length - 1 && (c += p[k]) <= u) k++;
            counts[k]++;
        }
        return counts;
    }
}
