package dev.sequoia.experiments.tokensperstep;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The ratio estimator and its clustered standard error, against values worked out by hand. */
class MeasurementTest {
    @Test
    void ratioAndStandardErrorOfThreeGenerations() {
        Measurement m = new Measurement();
        m.add(10, 4);
        m.add(12, 4);
        m.add(8, 4);
        assertEquals(30.0 / 12, m.tokensPerStep(), 1e-12);
        // residuals t - R s: 0, 2, -2; sqrt(3/2 * 8) / 12 = sqrt(12) / 12
        assertEquals(Math.sqrt(12) / 12, m.standardError(), 1e-12);
    }

    @Test
    void identicalRatiosHaveNoError() {
        Measurement m = new Measurement();
        m.add(30, 10);
        m.add(60, 20);
        assertEquals(3.0, m.tokensPerStep(), 1e-12);
        assertEquals(0.0, m.standardError(), 1e-12);
    }

    @Test
    void oneGenerationHasNoStandardErrorAndEmptyHasNoRatio() {
        Measurement m = new Measurement();
        assertThrows(IllegalStateException.class, m::tokensPerStep);
        m.add(5, 2);
        assertTrue(Double.isNaN(m.standardError()));
        assertThrows(IllegalArgumentException.class, () -> m.add(5, 0));
    }
}
