package dev.sequoia.experiments.figures;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The transcribed H200 curves and the link re-pricing the offload projection uses. */
class GpuCurvesTest {
    @Test
    void readsTheCommittedCurvesAndRepricesTheCopyAtAnotherLink() {
        GpuCurves curves = GpuCurves.read(Path.of("device/curves.csv"));
        GpuCurves.Curve card = curves.curves().stream().filter(c -> c.scenario().startsWith("card 48 GiB fp16")).findFirst()
                .orElseThrow();
        assertEquals(1.992, card.seconds().get(1), 1e-12);
        assertEquals(7, card.seconds().size());
        // 109.5 GB at 25 GB/s instead of 55: 4.38 - 1.99 s more per pass, at every n
        double extra = 109.5 / 25 - 109.5 / 55;
        assertEquals(1.992 + extra, card.over(25).get(1), 1e-9);
        assertEquals(2.036 + extra, card.over(25).get(1024), 1e-9);
        assertEquals(card.seconds(), card.over(55));
    }
}
