package dev.zerograd.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.Arrays;
import java.util.Random;

/** Tensors in every layout the elementwise kernels must handle, and comparisons, for the elementwise tests. */
final class EwFixtures {
    private EwFixtures() {}

    /** How an input's elements are laid out; the logical shape is the same for all. */
    enum Layout {
        CONTIGUOUS,
        /** A transposed view of the last two dims (inner stride is the row length). */
        TRANSPOSED,
        /** A slice of a wider last dim (rows not adjacent). */
        SLICED,
        /** Every other element of the last dim (inner stride 2). */
        STEP2,
        /** An expand of a size-1 leading dim (stride 0). */
        EXPANDED
    }

    /** Random values in [lo, hi) with the given logical shape and layout. */
    static Tensor make(TensorArena arena, DType dtype, Layout layout, long[] shape, double lo, double hi, long seed) {
        int r = shape.length;
        Random rnd = new Random(seed);
        if (r < 2 && (layout == Layout.TRANSPOSED || layout == Layout.EXPANDED)) {
            layout = r == 1 ? Layout.STEP2 : Layout.CONTIGUOUS;
        }
        if (r == 0 && layout != Layout.CONTIGUOUS) {
            layout = Layout.CONTIGUOUS;
        }
        switch (layout) {
            case CONTIGUOUS -> {
                return filled(arena, dtype, shape, lo, hi, rnd);
            }
            case TRANSPOSED -> {
                long[] s = shape.clone();
                s[r - 1] = shape[r - 2];
                s[r - 2] = shape[r - 1];
                return filled(arena, dtype, s, lo, hi, rnd).transpose(r - 2, r - 1);
            }
            case SLICED -> {
                long[] s = shape.clone();
                s[r - 1] = shape[r - 1] + 3;
                return filled(arena, dtype, s, lo, hi, rnd).slice(r - 1, 1, 1 + shape[r - 1]);
            }
            case STEP2 -> {
                long[] s = shape.clone();
                s[r - 1] = shape[r - 1] * 2;
                return filled(arena, dtype, s, lo, hi, rnd).slice(r - 1, 0, 2 * shape[r - 1], 2);
            }
            default -> {
                long[] s = shape.clone();
                s[0] = 1;
                return filled(arena, dtype, s, lo, hi, rnd).expand(shape);
            }
        }
    }

    static Tensor filled(TensorArena arena, DType dtype, long[] shape, double lo, double hi, Random rnd) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * rnd.nextDouble();
        }
        return arena.fromArray(dtype, v, shape);
    }

    /** The broadcast of t's logical values to shape (NumPy rules), row-major, as doubles. */
    static double[] broadcastValues(Tensor t, long[] shape) {
        double[] src = t.toDoubleArray();
        long[] ts = t.shape();
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        double[] out = new double[n];
        int shift = shape.length - ts.length;
        for (int i = 0; i < n; i++) {
            int rem = i;
            int e = 0;
            int mul = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                int idx = (int) (rem % shape[d]);
                rem /= (int) shape[d];
                int td = d - shift;
                if (td >= 0) {
                    if (ts[td] != 1) {
                        e += idx * mul;
                    }
                    mul *= (int) ts[td];
                }
            }
            out[i] = src[e];
        }
        return out;
    }

    /** Rounds v to the dtype as the kernels store it. */
    static double round(DType dtype, double v) {
        return dtype == DType.F32 ? (float) v : v;
    }

    /** Asserts |actual - expected| <= abs + rel * |expected| elementwise (NaNs must match). */
    static void assertClose(String what, double[] expected, double[] actual, double rel, double abs) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (Double.isNaN(e) || Double.isNaN(a)) {
                if (Double.isNaN(e) != Double.isNaN(a)) {
                    fail(what + ": element " + i + " expected " + e + " got " + a);
                }
                continue;
            }
            if (Double.isInfinite(e) && e == a) {
                continue;
            }
            if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) {
                fail(what + ": element " + i + " expected " + e + " got " + a + " (diff " + Math.abs(a - e) + ")");
            }
        }
    }

    /** Bitwise equality, NaN equal to NaN. */
    static void assertSame(String what, double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Double.doubleToLongBits(expected[i]) != Double.doubleToLongBits(actual[i])) {
                fail(what + ": element " + i + " expected " + expected[i] + " got " + actual[i]);
            }
        }
    }

    static String str(long[] shape) {
        return Arrays.toString(shape);
    }
}
