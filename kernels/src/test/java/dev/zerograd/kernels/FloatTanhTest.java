package dev.zerograd.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Formulas#tanhF32} (Note [Float tanh]) against {@code Math.tanh} rounded to float. */
class FloatTanhTest {
    private static double ulps(float got, float want) {
        return Math.abs((double) got - want) / Math.ulp(want == 0 ? Float.MIN_NORMAL : want);
    }

    @Test
    void withinThreeUlpsOfMathTanhOnEveryThirtySecondFloatOfMinusTwentyToTwenty() {
        double worst = 0;
        float at = 0;
        for (int bits = Float.floatToRawIntBits(-20f); bits != 0x80000000; bits -= 32) { // negative floats, toward -0
            float x = Float.intBitsToFloat(bits);
            for (float v : new float[] {x, -x}) {
                double u = ulps(Formulas.tanhF32(v), (float) Math.tanh(v));
                if (u > worst) {
                    worst = u;
                    at = v;
                }
            }
        }
        assertTrue(worst <= 3, "worst error " + worst + " ulps at x = " + at);
    }

    @Test
    void specialValues() {
        assertEquals(0f, Formulas.tanhF32(0f));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Formulas.tanhF32(-0f)));
        assertEquals(1f, Formulas.tanhF32(Float.POSITIVE_INFINITY), 3 * Math.ulp(1f));
        assertEquals(-1f, Formulas.tanhF32(Float.NEGATIVE_INFINITY), 3 * Math.ulp(1f));
        assertEquals(1f, Formulas.tanhF32(30f), 3 * Math.ulp(1f));
        assertTrue(Formulas.tanhF32(30f) <= 1f);
        assertTrue(Float.isNaN(Formulas.tanhF32(Float.NaN)));
        assertEquals(1e-30f, Formulas.tanhF32(1e-30f), 2e-7f * 1e-30f);
        assertEquals(Float.MIN_VALUE, Formulas.tanhF32(Float.MIN_VALUE));
        assertEquals(Math.tanh(7.9f), Formulas.tanhF32(7.9f), 3 * Math.ulp(1f));
    }
}
