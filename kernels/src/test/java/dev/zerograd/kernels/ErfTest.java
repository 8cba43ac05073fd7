package dev.zerograd.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ErfTest {
    /** erf at selected points, from a 40-digit evaluation (mpmath). */
    private static final double[][] TABLE = {
            {-7.0, -1.0},
            {-5.9, -0.9999999999999999281},
            {-3.0, -0.99997790950300141456},
            {-2.1, -0.99702053334366701571},
            {-1.5, -0.96610514647531072707},
            {-1.0, -0.84270079294971486934},
            {-0.99, -0.83850806955536979982},
            {-0.5, -0.52049987781304653768},
            {-1e-8, -0.000000011283791670955125599},
            {0.0, 0.0},
            {1e-300, 1.1283791670955126022e-300},
            {0.1, 0.1124629160182848984},
            {0.3, 0.32862675945912741619},
            {0.84375, 0.76722566123234163346},
            {0.9999, 0.84265927804875947799},
            {1.0, 0.84270079294971486934},
            {1.25, 0.92290012825645823014},
            {1.999, 0.99530155665137051232},
            {2.0, 0.99532226501895273416},
            {2.5, 0.99959304798255504106},
            {3.49, 0.99999920097457953483},
            {3.5, 0.99999925690162765859},
            {4.2, 0.99999999714450582041},
            {5.5, 0.99999999999999264215},
            {5.99, 0.9999999999999999757},
            {6.0, 0.99999999999999997848},
            {10.0, 1.0},
    };

    @Test
    void matchesHighPrecisionValues() {
        for (double[] row : TABLE) {
            double got = Erf.erf(row[0]);
            double tol = Math.max(3e-16, 2 * Math.ulp(row[1]));
            assertEquals(row[1], got, tol, "erf(" + row[0] + ")");
        }
    }

    @Test
    void oddFiniteAndMonotoneOnAGrid() {
        double prev = -1;
        for (double x = -7; x <= 7; x += 1.0 / 1024) {
            double e = Erf.erf(x);
            assertEquals(-e, Erf.erf(-x), 0.0, "odd at " + x);
            assertTrue(e >= prev, "monotone at " + x);
            assertTrue(Math.abs(e) <= 1, "bounded at " + x);
            prev = e;
        }
        assertTrue(Double.isNaN(Erf.erf(Double.NaN)));
        assertEquals(1.0, Erf.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, Erf.erf(Double.NEGATIVE_INFINITY));
    }

    @Test
    void agreesWithAnIndependentSeries() {
        for (double x = -3.5; x <= 3.5; x += 0.0137) {
            assertEquals(seriesErf(x), Erf.erf(x), 2e-15, "erf(" + x + ")");
        }
    }

    /**
     * erf(x) = 2x/sqrt(pi) e^(-x^2) sum_n (2x^2)^n / (1*3*...*(2n+1)): every term positive, so no cancellation
     * for any x; the sum converges for all x (slowly for large x, fine for a test).
     */
    static double seriesErf(double x) {
        double x2 = x * x;
        double term = 1;
        double sum = 1;
        for (int n = 1; n < 400 && term > 1e-18 * sum; n++) {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
        }
        return 2 * x / Math.sqrt(Math.PI) * Math.exp(-x2) * sum;
    }
}
