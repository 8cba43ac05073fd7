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
    void withinFiveUlpsOfMathTanhOnEveryThirtySecondFloatOfMinusTwentyToTwenty() {
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
        assertTrue(worst <= 5, "worst error " + worst + " ulps at x = " + at);
    }

    @Test
    void vectorLoopAgreesBitForBitWithTheScalarFormula() {
        int n = 1 << 16;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment in = arena.allocate(4L * n, 64);
            java.lang.foreign.MemorySegment out = arena.allocate(4L * n, 64);
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
            for (int i = 0; i < n; i++) {
                // every magnitude, both signs, plus the special values
                float v = i < 8 ? new float[] {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                        Float.MIN_VALUE, 0.0004f, -7.9053111f}[i] : Float.intBitsToFloat(rnd.nextInt());
                in.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, v);
            }
            VecF32.tanh(in, 0, VecF32.VB, out, 0, VecF32.VB, n / VecF32.L);
            for (int i = 0; i < n; i++) {
                float x = in.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
                float got = out.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
                assertEquals(Float.floatToRawIntBits(Formulas.tanhF32(x)), Float.floatToRawIntBits(got), "tanh(" + x + ")");
            }
        }
    }

    @Test
    void specialValues() {
        assertEquals(0f, Formulas.tanhF32(0f));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Formulas.tanhF32(-0f)));
        assertEquals(1f, Formulas.tanhF32(Float.POSITIVE_INFINITY), 5 * Math.ulp(1f));
        assertEquals(-1f, Formulas.tanhF32(Float.NEGATIVE_INFINITY), 5 * Math.ulp(1f));
        assertEquals(1f, Formulas.tanhF32(30f), 3 * Math.ulp(1f));
        assertTrue(Formulas.tanhF32(30f) <= 1f);
        assertTrue(Float.isNaN(Formulas.tanhF32(Float.NaN)));
        assertEquals(1e-30f, Formulas.tanhF32(1e-30f), 2e-7f * 1e-30f);
        assertEquals(Float.MIN_VALUE, Formulas.tanhF32(Float.MIN_VALUE));
        assertEquals(Math.tanh(7.9f), Formulas.tanhF32(7.9f), 3 * Math.ulp(1f));
    }
}
