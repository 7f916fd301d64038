package dev.sequoia.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ChiSquareTest {
    @Test
    void upperTailMatchesTabulatedCriticalValues() {
        assertEquals(0.05, ChiSquare.upperGamma(0.5, 3.841459 / 2), 1e-6); // dof 1
        assertEquals(0.05, ChiSquare.upperGamma(5, 18.307038 / 2), 1e-6); // dof 10
        assertEquals(0.001, ChiSquare.upperGamma(31.5, 103.4424 / 2), 1e-5); // dof 63
        assertEquals(0.5, ChiSquare.upperGamma(1, 1.386294 / 2), 1e-6); // dof 2: exp(-x/2)
    }

    @Test
    void pValueOfAPerfectFitIsOneAndOfAnImpossibleCellIsZero() {
        assertEquals(1.0, ChiSquare.pValue(new long[] {50, 50}, new double[] {.5, .5}), 1e-12);
        assertEquals(0.0, ChiSquare.pValue(new long[] {50, 49, 1}, new double[] {.5, .5, 0}));
    }
}
