package dev.zerograd.kernels;

import static dev.zerograd.kernels.SpatialTestSupport.assertClose;
import static dev.zerograd.kernels.SpatialTestSupport.assertMessage;
import static dev.zerograd.kernels.SpatialTestSupport.make;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.kernels.SpatialTestSupport.Layout;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NormTest {
    private final TensorArena arena = TensorArena.ofConfined(64 << 20);

    @AfterEach
    void close() {
        SpatialRows.simd = true;
        arena.close();
    }

    private static final long[][] BATCH_SHAPES = {{6, 3}, {4, 5, 7}, {3, 4, 5, 6}, {2, 3, 1, 9}};

    private static double tol(DType dt) {
        return dt == DType.F32 ? 1e-5 : 1e-11;
    }

    /** x, gamma, beta, running stats and outputs of one batch-norm case. */
    private record BnRef(double[] y, double[] mean, double[] invstd, double[] runMean, double[] runVar) {}

    private static BnRef batchRef(double[] x, long[] shape, double[] gamma, double[] beta, double[] rm, double[] rv, double momentum,
                                  double eps) {
        int c = (int) shape[1];
        int s = x.length / (int) shape[0] / c;
        int m = x.length / c;
        double[] mean = new double[c], var = new double[c], inv = new double[c], y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            mean[(i / s) % c] += x[i] / m;
        }
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - mean[(i / s) % c];
            var[(i / s) % c] += d * d / m;
        }
        double[] rm2 = rm == null ? null : rm.clone(), rv2 = rv == null ? null : rv.clone();
        for (int k = 0; k < c; k++) {
            inv[k] = 1 / Math.sqrt(var[k] + eps);
            if (rm2 != null) {
                rm2[k] = (1 - momentum) * rm2[k] + momentum * mean[k];
                rv2[k] = (1 - momentum) * rv2[k] + momentum * var[k] * m / (m - 1);
            }
        }
        for (int i = 0; i < x.length; i++) {
            int k = (i / s) % c;
            y[i] = (x[i] - mean[k]) * inv[k] * (gamma == null ? 1 : gamma[k]) + (beta == null ? 0 : beta[k]);
        }
        return new BnRef(y, mean, inv, rm2, rv2);
    }

    private static double[] values(Tensor t) {
        return t == null ? null : t.toDoubleArray();
    }

    private Tensor input(DType dt, Layout layout, long[] shape, Random rnd) {
        return shape.length == 4 ? make(arena, dt, layout, shape, rnd)
                : make(arena, dt, layout == Layout.CHANNELS_LAST ? Layout.CONTIGUOUS : layout, shape, rnd);
    }

    @Test
    void batchNormTrainAndEvalMatchReferences() {
        Random rnd = new Random(1);
        for (DType dt : SpatialTestSupport.FLOATS) {
            for (long[] shape : BATCH_SHAPES) {
                for (Layout layout : Layout.values()) {
                    for (int affine = 0; affine < 2; affine++) {
                        arena.reset();
                        long c = shape[1];
                        Tensor x = input(dt, layout, shape, rnd);
                        // A large common offset: two-pass statistics must not lose the variance to cancellation.
                        for (long i = 0; i < x.numel(); i++) {
                            x.setDoubleFlat(i, x.getDoubleFlat(i) + 1000);
                        }
                        Tensor gamma = affine == 1 ? make(arena, dt, rnd, c) : null, beta = affine == 1 ? make(arena, dt, rnd, c) : null;
                        Tensor rm = make(arena, dt, rnd, c), rv = arena.full(dt, 1.5, c);
                        double[] rm0 = rm.toDoubleArray(), rv0 = rv.toDoubleArray();
                        Tensor y = arena.empty(dt, shape), mean = arena.empty(dt, c), inv = arena.empty(dt, c);
                        Norm.batchNormTrain(x, gamma, beta, rm, rv, 0.1, 1e-5, y, mean, inv);
                        BnRef ref = batchRef(x.toDoubleArray(), shape, values(gamma), values(beta), rm0, rv0, 0.1, 1e-5);
                        String what = dt + " " + java.util.Arrays.toString(shape) + " " + layout + " affine " + affine;
                        double t = tol(dt) * 10;
                        assertClose(what + " y", ref.y, y.toDoubleArray(), t);
                        assertClose(what + " mean", ref.mean, mean.toDoubleArray(), tol(dt));
                        assertClose(what + " invstd", ref.invstd, inv.toDoubleArray(), t);
                        assertClose(what + " runningMean", ref.runMean, rm.toDoubleArray(), tol(dt));
                        assertClose(what + " runningVar", ref.runVar, rv.toDoubleArray(), t);

                        Tensor ye = arena.empty(dt, shape);
                        Norm.batchNormEval(x, gamma, beta, rm, rv, 1e-5, ye);
                        double[] xv = x.toDoubleArray(), yeRef = new double[xv.length], rmv = rm.toDoubleArray(), rvv = rv.toDoubleArray();
                        int s = xv.length / (int) shape[0] / (int) c;
                        for (int i = 0; i < xv.length; i++) {
                            int k = (i / s) % (int) c;
                            yeRef[i] = (xv[i] - rmv[k]) / Math.sqrt(rvv[k] + 1e-5) * (gamma == null ? 1 : gamma.getDoubleFlat(k))
                                    + (beta == null ? 0 : beta.getDoubleFlat(k));
                        }
                        assertClose(what + " eval", yeRef, ye.toDoubleArray(), dt == DType.F32 ? 1e-4 : 1e-11);
                    }
                }
            }
        }
    }

    /** The documented formula, in double. */
    private static double[][] batchBackwardRef(double[] gy, double[] x, long[] shape, double[] gamma, double[] mean, double[] inv) {
        int c = (int) shape[1];
        int s = x.length / (int) shape[0] / c;
        int m = x.length / c;
        double[] sg = new double[c], sgx = new double[c], dx = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int k = (i / s) % c;
            sg[k] += gy[i];
            sgx[k] += gy[i] * (x[i] - mean[k]) * inv[k];
        }
        for (int i = 0; i < x.length; i++) {
            int k = (i / s) % c;
            double xhat = (x[i] - mean[k]) * inv[k];
            dx[i] = (gamma == null ? 1 : gamma[k]) * inv[k] / m * (m * gy[i] - sg[k] - xhat * sgx[k]);
        }
        return new double[][] {dx, sgx, sg};
    }

    @Test
    void batchNormBackwardMatchesFormulaAndFiniteDifferences() {
        Random rnd = new Random(2);
        for (DType dt : SpatialTestSupport.FLOATS) {
            for (long[] shape : BATCH_SHAPES) {
                for (Layout layout : Layout.values()) {
                    arena.reset();
                    long c = shape[1];
                    Tensor x = input(dt, layout, shape, rnd), gy = input(dt, layout, shape, rnd);
                    Tensor gamma = make(arena, dt, rnd, c), beta = make(arena, dt, rnd, c);
                    Tensor y = arena.empty(dt, shape), mean = arena.empty(dt, c), inv = arena.empty(dt, c);
                    Norm.batchNormTrain(x, gamma, beta, null, null, 0.1, 1e-5, y, mean, inv);
                    Tensor dx = arena.empty(dt, shape), dgamma = arena.empty(dt, c), dbeta = arena.empty(dt, c);
                    Norm.batchNormBackward(gy, x, gamma, mean, inv, dx, dgamma, dbeta);
                    double[][] ref = batchBackwardRef(gy.toDoubleArray(), x.toDoubleArray(), shape, gamma.toDoubleArray(),
                            mean.toDoubleArray(), inv.toDoubleArray());
                    String what = dt + " " + java.util.Arrays.toString(shape) + " " + layout;
                    assertClose(what + " dx", ref[0], dx.toDoubleArray(), tol(dt) * 10);
                    assertClose(what + " dgamma", ref[1], dgamma.toDoubleArray(), tol(dt) * 10);
                    assertClose(what + " dbeta", ref[2], dbeta.toDoubleArray(), tol(dt));
                    if (dt == DType.F64) {
                        Tensor[] params = {x, gamma, beta};
                        Tensor[] grads = {dx, dgamma, dbeta};
                        finiteDifferences(what, params, grads, gy, rnd,
                                () -> Norm.batchNormTrain(x, gamma, beta, null, null, 0.1, 1e-5, y, mean, inv), y);
                    }
                    // Only dx, in place over gy (a copy, so the reference above stays valid).
                    Tensor g2 = arena.empty(dt, shape);
                    for (long i = 0; i < g2.numel(); i++) {
                        g2.setDoubleFlat(i, gy.getDoubleFlat(i));
                    }
                    Norm.batchNormBackward(g2, x, gamma, mean, inv, g2, null, null);
                    assertClose(what + " dx in place", ref[0], g2.toDoubleArray(), tol(dt) * 10);
                }
            }
        }
    }

    /** Central differences of L = sum(gy * y) against the analytic gradients, at a few elements of each parameter. */
    private static void finiteDifferences(String what, Tensor[] params, Tensor[] grads, Tensor gy, Random rnd, Runnable forward,
                                          Tensor y) {
        double[] g = gy.toDoubleArray();
        for (int p = 0; p < params.length; p++) {
            for (int trial = 0; trial < 4; trial++) {
                long i = rnd.nextLong(params[p].numel());
                double v = params[p].getDoubleFlat(i), h = 1e-6;
                params[p].setDoubleFlat(i, v + h);
                forward.run();
                double up = dot(g, y.toDoubleArray());
                params[p].setDoubleFlat(i, v - h);
                forward.run();
                double down = dot(g, y.toDoubleArray());
                params[p].setDoubleFlat(i, v);
                forward.run();
                double numeric = (up - down) / (2 * h), analytic = grads[p].getDoubleFlat(i);
                assertTrue(Math.abs(numeric - analytic) <= 1e-5 * Math.max(1, Math.abs(analytic)),
                        what + " param " + p + " element " + i + ": numeric " + numeric + ", analytic " + analytic);
            }
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    // ---------------------------------------------------------------- layer norm

    private static final long[][] LAYER_SHAPES = {{4, 10}, {3, 5, 6}, {2, 3, 4, 5}, {7}};

    @Test
    void layerNormForwardAndBackwardMatchReferencesAndFiniteDifferences() {
        Random rnd = new Random(3);
        for (DType dt : SpatialTestSupport.FLOATS) {
            for (long[] shape : LAYER_SHAPES) {
                for (int nd = 1; nd <= Math.min(2, shape.length); nd++) {
                    for (Layout layout : new Layout[] {Layout.CONTIGUOUS, Layout.STRIDED}) {
                        for (int affine = 0; affine < 2; affine++) {
                            arena.reset();
                            check(dt, shape, nd, layout, affine == 1, rnd);
                        }
                    }
                }
            }
            arena.reset();
            // Transposed last dims: the normalized block is not one run.
            check(dt, new long[] {3, 6, 5}, 2, null, true, rnd);
        }
    }

    private void check(DType dt, long[] shape, int nd, Layout layout, boolean affine, Random rnd) {
        Tensor x;
        if (layout == null) {
            x = make(arena, dt, rnd, shape[0], shape[2], shape[1]).transpose(1, 2);
        } else {
            x = make(arena, dt, layout, shape, rnd);
        }
        long[] tail = java.util.Arrays.copyOfRange(shape, shape.length - nd, shape.length);
        int d = (int) RefTensorsLite.numel(tail), rows = (int) (x.numel() / d);
        Tensor gamma = affine ? make(arena, dt, Layout.STRIDED, tail, rnd) : null, beta = affine ? make(arena, dt, rnd, tail) : null;
        Tensor y = arena.empty(dt, shape), mean = arena.empty(dt, rows), inv = arena.empty(dt, rows);
        Norm.layerNorm(x, nd, gamma, beta, 1e-5, y, mean, inv);
        double[] xv = x.toDoubleArray(), gv = values(gamma), bv = values(beta);
        double[] yRef = new double[xv.length], mRef = new double[rows], iRef = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0, q = 0;
            for (int j = 0; j < d; j++) {
                s += xv[r * d + j];
            }
            mRef[r] = s / d;
            for (int j = 0; j < d; j++) {
                q += (xv[r * d + j] - mRef[r]) * (xv[r * d + j] - mRef[r]);
            }
            iRef[r] = 1 / Math.sqrt(q / d + 1e-5);
            for (int j = 0; j < d; j++) {
                yRef[r * d + j] = (xv[r * d + j] - mRef[r]) * iRef[r] * (gv == null ? 1 : gv[j]) + (bv == null ? 0 : bv[j]);
            }
        }
        String what = dt + " " + java.util.Arrays.toString(shape) + " normDims " + nd + " " + layout + " affine " + affine;
        assertClose(what + " y", yRef, y.toDoubleArray(), tol(dt) * 10);
        assertClose(what + " mean", mRef, mean.toDoubleArray(), tol(dt));
        assertClose(what + " invstd", iRef, inv.toDoubleArray(), tol(dt) * 10);

        Tensor gy = make(arena, dt, Layout.STRIDED, shape, rnd);
        Tensor dx = arena.empty(dt, shape);
        Tensor dgamma = affine ? arena.empty(dt, tail) : null, dbeta = affine ? arena.empty(dt, tail) : null;
        Norm.layerNormBackward(gy, x, nd, gamma, mean, inv, dx, dgamma, dbeta);
        double[] g = gy.toDoubleArray(), mv = mean.toDoubleArray(), ivv = inv.toDoubleArray();
        double[] dxRef = new double[xv.length], dgRef = new double[d], dbRef = new double[d];
        for (int r = 0; r < rows; r++) {
            double a = 0, b = 0;
            for (int j = 0; j < d; j++) {
                double gg = g[r * d + j] * (gv == null ? 1 : gv[j]), xhat = (xv[r * d + j] - mv[r]) * ivv[r];
                a += gg;
                b += gg * xhat;
                dgRef[j] += g[r * d + j] * xhat;
                dbRef[j] += g[r * d + j];
            }
            for (int j = 0; j < d; j++) {
                double gg = g[r * d + j] * (gv == null ? 1 : gv[j]), xhat = (xv[r * d + j] - mv[r]) * ivv[r];
                dxRef[r * d + j] = ivv[r] / d * (d * gg - a - xhat * b);
            }
        }
        assertClose(what + " dx", dxRef, dx.toDoubleArray(), tol(dt) * 10);
        if (affine) {
            assertClose(what + " dgamma", dgRef, dgamma.toDoubleArray(), tol(dt) * 10);
            assertClose(what + " dbeta", dbRef, dbeta.toDoubleArray(), tol(dt) * 10);
        }
        if (dt == DType.F64 && affine) {
            finiteDifferences(what, new Tensor[] {x, gamma, beta}, new Tensor[] {dx, dgamma, dbeta}, gy, rnd,
                    () -> Norm.layerNorm(x, nd, gamma, beta, 1e-5, y, mean, inv), y);
        }
    }

    /** Shape arithmetic for the tests. */
    private static final class RefTensorsLite {
        static long numel(long[] s) {
            long n = 1;
            for (long v : s) {
                n *= v;
            }
            return n;
        }
    }

    @Test
    void vectorAndScalarRowLoopsAgree() {
        Random rnd = new Random(4);
        for (DType dt : SpatialTestSupport.FLOATS) {
            double[][] out = new double[2][];
            for (int s = 0; s < 2; s++) {
                SpatialRows.simd = s == 0;
                arena.reset();
                Random r = new Random(5);
                Tensor x = make(arena, dt, r, 4, 3, 5, 7), gy = make(arena, dt, r, 4, 3, 5, 7);
                Tensor gamma = make(arena, dt, r, 3), beta = make(arena, dt, r, 3);
                Tensor y = arena.empty(dt, 4, 3, 5, 7), mean = arena.empty(dt, 3), inv = arena.empty(dt, 3);
                Norm.batchNormTrain(x, gamma, beta, null, null, 0.1, 1e-5, y, mean, inv);
                Tensor dx = arena.empty(dt, 4, 3, 5, 7), dg = arena.empty(dt, 3), db = arena.empty(dt, 3);
                Norm.batchNormBackward(gy, x, gamma, mean, inv, dx, dg, db);
                Tensor lg = make(arena, dt, r, 5, 7), lb = make(arena, dt, r, 5, 7);
                Tensor ly = arena.empty(dt, 4, 3, 5, 7), lm = arena.empty(dt, 12), li = arena.empty(dt, 12);
                Norm.layerNorm(x, 2, lg, lb, 1e-5, ly, lm, li);
                Tensor ldx = arena.empty(dt, 4, 3, 5, 7), ldg = arena.empty(dt, 5, 7), ldb = arena.empty(dt, 5, 7);
                Norm.layerNormBackward(gy, x, 2, lg, lm, li, ldx, ldg, ldb);
                out[s] = concat(y, mean, inv, dx, dg, db, ly, lm, li, ldx, ldg, ldb);
            }
            assertClose(dt + " simd vs scalar", out[1], out[0], dt == DType.F32 ? 1e-5 : 1e-12);
        }
        rnd.nextInt();
    }

    @Test
    void largeInputsGiveTheSameResultOnOneThread() {
        DType dt = DType.F32;
        Random r = new Random(6);
        Tensor x = make(arena, dt, r, 32, 16, 20, 20), gy = make(arena, dt, r, 32, 16, 20, 20);
        double[][] out = new double[2][];
        int threads = Parallel.threads();
        for (int k = 0; k < 2; k++) {
            if (k == 1) {
                Parallel.setThreads(1);
            }
            try {
                Tensor y = arena.empty(dt, 32, 16, 20, 20), mean = arena.empty(dt, 16), inv = arena.empty(dt, 16);
                Norm.batchNormTrain(x, null, null, null, null, 0.1, 1e-5, y, mean, inv);
                Tensor dx = arena.empty(dt, 32, 16, 20, 20);
                Norm.batchNormBackward(gy, x, null, mean, inv, dx, null, null);
                Tensor lm = arena.empty(dt, 512), li = arena.empty(dt, 512), ly = arena.empty(dt, 32, 16, 20, 20);
                Norm.layerNorm(x, 2, null, null, 1e-5, ly, lm, li);
                Tensor dg = arena.empty(dt, 20, 20), db = arena.empty(dt, 20, 20);
                Norm.layerNormBackward(gy, x, 2, null, lm, li, null, dg, db);
                out[k] = concat(y, dx, ly, dg, db);
            } finally {
                Parallel.setThreads(threads);
            }
        }
        assertClose("one thread vs pool", out[1], out[0], 0);
    }

    private static double[] concat(Tensor... ts) {
        double[] all = new double[0];
        for (Tensor t : ts) {
            double[] v = t.toDoubleArray();
            double[] joined = java.util.Arrays.copyOf(all, all.length + v.length);
            System.arraycopy(v, 0, joined, all.length, v.length);
            all = joined;
        }
        return all;
    }

    @Test
    void badArgumentsAreRejected() {
        DType dt = DType.F32;
        Tensor x = arena.zeros(dt, 4, 3, 5, 5), y = arena.empty(dt, 4, 3, 5, 5), c3 = arena.empty(dt, 3), c3b = arena.empty(dt, 3);
        assertMessage(() -> Norm.batchNormTrain(x, arena.zeros(dt, 4), null, null, null, 0.1, 1e-5, y, c3, c3b),
                "Norm.batchNormTrain", "gamma f32[4]", "[3]");
        assertMessage(() -> Norm.batchNormTrain(arena.zeros(dt, 1, 3), null, null, null, null, 0.1, 1e-5, arena.empty(dt, 1, 3), c3,
                c3b), "1 value(s) per channel");
        assertMessage(() -> Norm.batchNormTrain(x, null, null, null, null, 0.1, -1, y, c3, c3b), "eps -1");
        assertMessage(() -> Norm.batchNormTrain(x, null, null, null, null, 0.1, 1e-5, arena.empty(dt, 4, 3, 5, 6), c3, c3b),
                "y f32[4, 3, 5, 6]", "shape of x");
        assertMessage(() -> Norm.batchNormTrain(x, null, null, arena.zeros(dt, 1).expand(3), null, 0.1, 1e-5, y, c3, c3b),
                "runningMean", "broadcast");
        assertMessage(() -> Norm.batchNormEval(x, null, null, null, c3, 1e-5, y), "Norm.batchNormEval", "runningMean is null");
        assertMessage(() -> Norm.batchNormBackward(arena.zeros(DType.F64, 4, 3, 5, 5), x, null, c3, c3b, y, null, null),
                "Norm.batchNormBackward", "gy f64");
        assertMessage(() -> Norm.layerNorm(x, 5, null, null, 1e-5, y, arena.empty(dt, 1), arena.empty(dt, 1)), "Norm.layerNorm",
                "normDims 5");
        assertMessage(() -> Norm.layerNorm(x, 2, arena.zeros(dt, 5, 4), null, 1e-5, y, arena.empty(dt, 12), arena.empty(dt, 12)),
                "gamma f32[5, 4]", "last 2 dim(s)");
        assertMessage(() -> Norm.layerNorm(x, 2, null, null, 1e-5, y, arena.empty(dt, 13), arena.empty(dt, 12)), "saveMean f32[13]",
                "[12]");
        assertMessage(() -> Norm.layerNormBackward(y, x, 2, null, arena.empty(dt, 12), arena.empty(dt, 12), null,
                arena.empty(dt, 5, 6), null), "Norm.layerNormBackward", "dgamma f32[5, 6]");
    }
}
