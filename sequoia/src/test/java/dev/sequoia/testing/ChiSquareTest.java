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

    @Test
    void chiSquarePValuesMatchTheTables() {
        // upper 5% and 0.01% points of chi-square with 1, 10 and 30 degrees of freedom
        assertEquals(0.05, ChiSquare.upperTail(1, 3.841459), 1e-6);
        assertEquals(0.05, ChiSquare.upperTail(10, 18.307038), 1e-6);
        assertEquals(1e-4, ChiSquare.upperTail(10, 35.564), 1e-7);
        assertEquals(0.05, ChiSquare.upperTail(30, 43.772972), 1e-6);
        assertEquals(1.0, ChiSquare.upperTail(4, 0), 0);
    }

    @Test
    void smallCellsAreMerged() {
        // 1000 draws: cells 2..4 expect 2, 2 and 1, pooled into one cell expecting 5 (7 observed)
        double[] p = {0.6, 0.395, 0.002, 0.002, 0.001};
        long[] observed = {600, 393, 3, 2, 2};
        double merged = ChiSquare.pooledPValue(observed, p);
        double byHand = ChiSquare.upperTail(2, 4.0 / 395 + 4.0 / 5);
        assertEquals(byHand, merged, 1e-12);
    }
}
