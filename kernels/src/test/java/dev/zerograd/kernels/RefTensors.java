package dev.zerograd.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.Random;

/** Test inputs in several layouts, and naive double-precision references over logical (row-major) values. */
final class RefTensors {
    private RefTensors() {}

    /** How an input's elements are laid out; its logical values are read back with toDoubleArray(). */
    enum Layout { CONTIGUOUS, TRANSPOSED, EXPANDED, STRIDED }

    static final Layout[] LAYOUTS = Layout.values();
    static final DType[] FLOATS = {DType.F32, DType.F64};

    /** Random values in [-2, 2) in the given layout (EXPANDED: size-1 source dims broadcast where possible). */
    static Tensor make(TensorArena arena, DType dt, Layout layout, long[] shape, long seed) {
        Random rnd = new Random(seed);
        int r = shape.length;
        switch (layout) {
            case TRANSPOSED -> {
                long[] rev = new long[r];
                int[] perm = new int[r];
                for (int i = 0; i < r; i++) {
                    rev[i] = shape[r - 1 - i];
                    perm[i] = r - 1 - i;
                }
                Tensor t = arena.empty(dt, rev).permute(perm);
                fill(t, rnd);
                return t;
            }
            case EXPANDED -> {
                // Every other dim (and, for rank >= 1, dim 0) comes from a size-1 source dim.
                long[] small = shape.clone();
                for (int i = 0; i < r; i += 2) {
                    small[i] = shape[i] == 0 ? 0 : 1;
                }
                Tensor t = arena.empty(dt, small);
                fill(t, rnd);
                return t.expand(shape);
            }
            case STRIDED -> {
                long[] big = shape.clone();
                if (r > 0) {
                    big[r - 1] = shape[r - 1] * 2 + 1;
                }
                Tensor base = arena.empty(dt, big);
                fill(base, rnd);
                return r == 0 ? base : base.slice(r - 1, 1, big[r - 1], 2);
            }
            default -> {
                Tensor t = arena.empty(dt, shape);
                fill(t, rnd);
                return t;
            }
        }
    }

    static void fill(Tensor t, Random rnd) {
        for (long i = 0; i < t.numel(); i++) {
            t.setDoubleFlat(i, rnd.nextDouble() * 4 - 2);
        }
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** Multi-index of flat position p (row-major) into idx. */
    static void unflatten(long p, long[] shape, long[] idx) {
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : p % shape[d];
            p = shape[d] == 0 ? 0 : p / shape[d];
        }
    }

    static long flatten(long[] idx, long[] shape) {
        long p = 0;
        for (int d = 0; d < shape.length; d++) {
            p = p * shape[d] + idx[d];
        }
        return p;
    }

    /** The keepdim shape of reducing {@code shape} over mask. */
    static long[] keepShape(long[] shape, int mask) {
        long[] k = shape.clone();
        for (int d = 0; d < k.length; d++) {
            if ((mask & (1 << d)) != 0) {
                k[d] = 1;
            }
        }
        return k;
    }

    /** Groups of input positions that reduce to each output (keepdim order). */
    static double[][] groups(double[] x, long[] shape, int mask) {
        long[] ks = keepShape(shape, mask);
        int outN = (int) numel(ks);
        int per = outN == 0 ? 0 : (int) (numel(shape) / Math.max(1, outN));
        double[][] g = new double[outN][per];
        int[] fillCount = new int[outN];
        long[] idx = new long[shape.length];
        for (int p = 0; p < x.length; p++) {
            unflatten(p, shape, idx);
            for (int d = 0; d < shape.length; d++) {
                if ((mask & (1 << d)) != 0) {
                    idx[d] = 0;
                }
            }
            int o = (int) flatten(idx, ks);
            g[o][fillCount[o]++] = x[p];
        }
        return g;
    }

    static void assertClose(String what, double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) || Double.isNaN(a)) {
                if (Double.isNaN(e) != Double.isNaN(a)) {
                    fail(what + ": at " + i + " expected " + e + " but was " + a);
                }
                continue;
            }
            if (e == a) {
                continue;
            }
            if (Math.abs(e - a) > tol * Math.max(1, Math.abs(e))) {
                fail(what + ": at " + i + " expected " + e + " but was " + a + " (tol " + tol + ")");
            }
        }
    }

    static double tol(DType dt) {
        return dt == DType.F32 ? 2e-6 : 1e-12;
    }
}
