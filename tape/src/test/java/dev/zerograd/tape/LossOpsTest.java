package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LossOpsTest {
    private static final GradCheck.Options SECOND = GradCheck.Options.defaults().withSecondOrder(true);
    private static final long NONE = Ops.NO_IGNORE_INDEX;

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("loss-test", 16 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    // ---------------------------------------------------------------- references in plain double

    private static double[] logSoftmaxRow(double[] z, int row, int c) {
        double m = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) {
            m = Math.max(m, z[row * c + j]);
        }
        double s = 0;
        for (int j = 0; j < c; j++) {
            s += Math.exp(z[row * c + j] - m);
        }
        double[] out = new double[c];
        for (int j = 0; j < c; j++) {
            out[j] = z[row * c + j] - m - Math.log(s);
        }
        return out;
    }

    /** Per-row cross-entropy losses (0 on ignored rows) followed by the number of counted rows. */
    private static double[] referenceRows(double[] z, long[] y, int c, double smoothing, long ignore) {
        int n = y.length;
        double[] out = new double[n + 1];
        for (int i = 0; i < n; i++) {
            if (y[i] == ignore) {
                continue;
            }
            double[] lp = logSoftmaxRow(z, i, c);
            double all = 0;
            for (double v : lp) {
                all += v;
            }
            out[i] = -((1 - smoothing) * lp[(int) y[i]] + smoothing / c * all);
            out[n]++;
        }
        return out;
    }

    private static double referenceLoss(double[] z, long[] y, int c, double smoothing, long ignore, boolean mean) {
        double[] rows = referenceRows(z, y, c, smoothing, ignore);
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += rows[i];
        }
        return mean ? s / rows[y.length] : s;
    }

    // ---------------------------------------------------------------- cross-entropy forward

    @Test
    void crossEntropyMatchesReferenceForEveryReductionSmoothingAndIgnore() {
        int n = 5;
        int c = 4;
        Tensor z = GradCheck.uniform(arena, 1, -3, 3, n, c);
        long[] y = {2, 0, 3, 3, 1};
        long[] yIgnored = {2, -100, 3, -100, 1};
        double[] zv = z.toDoubleArray();
        for (double s : new double[] {0, 0.1}) {
            for (long[] labels : new long[][] {y, yIgnored}) {
                long ignore = labels == y ? NONE : -100;
                Tensor lt = arena.fromArray(labels, n);
                assertEquals(referenceLoss(zv, labels, c, s, ignore, true),
                        Ops.crossEntropy(z, lt, Reduction.MEAN, s, ignore).item(), 1e-12, "mean, s " + s);
                assertEquals(referenceLoss(zv, labels, c, s, ignore, false),
                        Ops.crossEntropy(z, lt, Reduction.SUM, s, ignore).item(), 1e-12, "sum, s " + s);
                double[] rows = referenceRows(zv, labels, c, s, ignore);
                double[] got = Ops.crossEntropy(z, lt, Reduction.NONE, s, ignore).toDoubleArray();
                assertEquals(n, got.length);
                for (int i = 0; i < n; i++) {
                    assertEquals(rows[i], got[i], 1e-12, "row " + i + ", s " + s);
                }
            }
        }
        assertEquals(referenceLoss(zv, y, c, 0, NONE, true), Ops.crossEntropy(z, arena.fromArray(y, n)).item(), 1e-12);
    }

    @Test
    void crossEntropyIsStableForHugeLogitsAndI32Labels() {
        double[] zv = {1000, -1000, 0, -1000, 1000, 999};
        Tensor z = arena.fromArray(zv, 2, 3);
        Tensor y = arena.fromArray(new int[] {1, 2}, 2);
        // row 0: label logit is 2000 below the max; row 1: log(1 + e^-1) below it
        double expected = (2000 + (1 + Math.log1p(Math.exp(-1)))) / 2;
        assertEquals(expected, Ops.crossEntropy(z, y).item(), 1e-9);
        assertEquals(referenceLoss(zv, new long[] {1, 2}, 3, 0.2, NONE, false),
                Ops.crossEntropy(z, y, Reduction.SUM, 0.2, NONE).item(), 1e-9);
        Tensor zf = arena.fromArray(DType.F32, zv, 2, 3);
        Tensor lf = Ops.crossEntropy(zf, y);
        assertEquals(DType.F32, lf.dtype());
        assertEquals(expected, lf.item(), 1e-3);
    }

    @Test
    void meanOverOnlyIgnoredRowsIsNaN() {
        Tensor z = arena.zeros(DType.F64, 2, 3);
        Tensor y = arena.fromArray(new long[] {-1, -1}, 2);
        assertTrue(Double.isNaN(Ops.crossEntropy(z, y, Reduction.MEAN, 0, -1).item()));
        assertEquals(0, Ops.crossEntropy(z, y, Reduction.SUM, 0, -1).item(), 0);
    }

    // ---------------------------------------------------------------- cross-entropy derivatives

    @Test
    void crossEntropyGradientIsSoftmaxMinusOneHotOverN() {
        int n = 4;
        int c = 3;
        Tensor z = GradCheck.uniform(arena, 2, -2, 2, n, c).requiresGrad();
        long[] y = {0, 2, 1, 2};
        try (GradientTape tape = GradientTape.record(arena)) {
            tape.backward(Ops.crossEntropy(z, arena.fromArray(y, n)));
        }
        double[] zv = z.toDoubleArray();
        for (int i = 0; i < n; i++) {
            double[] lp = logSoftmaxRow(zv, i, c);
            for (int j = 0; j < c; j++) {
                double expected = (Math.exp(lp[j]) - (j == y[i] ? 1 : 0)) / n;
                assertEquals(expected, z.grad().getDouble(i, j), 1e-12, "d loss / d z[" + i + ", " + j + "]");
            }
        }
    }

    @Test
    void crossEntropyHessianIsSoftmaxJacobianOverN() {
        int n = 2;
        int c = 3;
        Tensor z = GradCheck.uniform(arena, 3, -2, 2, n, c).requiresGrad();
        Tensor y = arena.fromArray(new long[] {1, 0}, n);
        double[] zv = z.toDoubleArray();
        try (GradientTape tape = GradientTape.persistent(arena)) {
            Tensor g = tape.gradient(Ops.crossEntropy(z, y, Reduction.MEAN, 0.1, NONE), z, true);
            for (int a = 0; a < n * c; a++) {
                Tensor seed = arena.zeros(DType.F64, n, c);
                seed.setDoubleFlat(a, 1);
                Tensor row = tape.gradient(Ops.sum(Ops.mul(g, seed)), z, false); // d g[a] / d z
                int ia = a / c;
                int ja = a % c;
                double[] p = logSoftmaxRow(zv, ia, c);
                for (int b = 0; b < n * c; b++) {
                    int ib = b / c;
                    int jb = b % c;
                    double expected = ia != ib ? 0 : (Math.exp(p[ja]) * ((ja == jb ? 1 : 0) - Math.exp(p[jb]))) / n;
                    assertEquals(expected, row.getDoubleFlat(b), 1e-12, "H[" + a + ", " + b + "]");
                }
            }
        }
    }

    @Test
    void gradcheckCrossEntropyToSecondOrder() {
        Tensor z = GradCheck.uniform(arena, 4, -2, 2, 4, 3).requiresGrad();
        Tensor y = arena.fromArray(new long[] {2, 0, 1, 1}, 4);
        Tensor yi = arena.fromArray(new int[] {2, 7, 1, 7}, 4);
        GradCheck.check("cross_entropy mean", SECOND, in -> Ops.crossEntropy(in[0], in[1]), z, y);
        GradCheck.check("cross_entropy sum, smoothing", SECOND, in -> Ops.crossEntropy(in[0], in[1], Reduction.SUM, 0.15, NONE), z, y);
        GradCheck.check("cross_entropy mean, smoothing, ignore", SECOND,
                in -> Ops.crossEntropy(in[0], in[1], Reduction.MEAN, 0.15, 7), z, yi);
        GradCheck.check("cross_entropy none, smoothing, ignore", SECOND,
                in -> Ops.crossEntropy(in[0], in[1], Reduction.NONE, 0.15, 7), z, yi);
        Tensor zt = GradCheck.uniform(arena, 5, -2, 2, 3, 4).transpose(0, 1).requiresGrad();
        GradCheck.check("cross_entropy of transposed logits", SECOND, in -> Ops.crossEntropy(in[0], in[1], Reduction.SUM, 0, NONE), zt, y);
        // through a product, so the second derivative also reaches the weights
        Tensor x = GradCheck.uniform(arena, 6, -1, 1, 4, 2).requiresGrad();
        Tensor w = GradCheck.uniform(arena, 7, -1, 1, 2, 3).requiresGrad();
        GradCheck.check("cross_entropy(x w)", SECOND, in -> Ops.crossEntropy(Ops.matmul(in[0], in[1]), in[2]), x, w, y);
    }

    @Test
    void crossEntropyBackwardIsDifferentiableInItsUpstreamGradient() {
        // L = a * ce(z): dL/dz = a c (p - q) comes from cross_entropy_backward with g = a, so
        // d/da sum(w * dL/dz) = sum(w * c (p - q)) exercises that op's gradient in g.
        Tensor z = GradCheck.uniform(arena, 8, -2, 2, 3, 4).requiresGrad();
        Tensor a = arena.scalar(DType.F64, 1.7).requiresGrad();
        Tensor w = GradCheck.uniform(arena, 9, -1, 1, 3, 4);
        long[] y = {3, 0, 1};
        Tensor labels = arena.fromArray(y, 3);
        try (GradientTape tape = GradientTape.persistent(arena)) {
            Tensor l = Ops.mul(Ops.crossEntropy(z, labels), a);
            Tensor gz = tape.gradient(l, z, true);
            Tensor da = tape.gradient(Ops.sum(Ops.mul(gz, w)), a, false);
            double[] zv = z.toDoubleArray();
            double[] wv = w.toDoubleArray();
            double expected = 0;
            for (int i = 0; i < 3; i++) {
                double[] lp = logSoftmaxRow(zv, i, 4);
                for (int j = 0; j < 4; j++) {
                    expected += wv[i * 4 + j] * (Math.exp(lp[j]) - (j == y[i] ? 1 : 0)) / 3;
                }
            }
            assertEquals(expected, da.item(), 1e-12);
        }
    }

    @Test
    void hessianVectorProductForwardOverReverseMatchesReverseOverReverse() {
        Tensor z = GradCheck.uniform(arena, 10, -2, 2, 3, 4).requiresGrad();
        Tensor v = GradCheck.uniform(arena, 11, -1, 1, 3, 4);
        Tensor labels = arena.fromArray(new long[] {1, -1, 2}, 3);
        double[] reverse;
        try (GradientTape tape = GradientTape.persistent(arena)) {
            Tensor g = tape.gradient(Ops.crossEntropy(z, labels, Reduction.MEAN, 0.1, -1), z, true);
            reverse = tape.gradient(Ops.sum(Ops.mul(g, v)), z, false).toDoubleArray();
        }
        double[] forward;
        try (Tape.Guard fw = ForwardAD.scope(); GradientTape tape = GradientTape.record(arena)) {
            ForwardAD.dual(z, v);
            Tensor g = tape.gradient(Ops.crossEntropy(z, labels, Reduction.MEAN, 0.1, -1), z);
            forward = g.tangent().toDoubleArray();
        } finally {
            z.setTangent(null);
        }
        assertArrayEquals(reverse, forward, 1e-12);
        // the ignored row has no curvature; the others are (diag(p) - p p^T) v / 2
        double[] zv = z.toDoubleArray();
        double[] vv = v.toDoubleArray();
        for (int i = 0; i < 3; i++) {
            double[] lp = logSoftmaxRow(zv, i, 4);
            double pv = 0;
            for (int j = 0; j < 4; j++) {
                pv += Math.exp(lp[j]) * vv[i * 4 + j];
            }
            for (int j = 0; j < 4; j++) {
                double expected = i == 1 ? 0 : Math.exp(lp[j]) * (vv[i * 4 + j] - pv) / 2;
                assertEquals(expected, reverse[i * 4 + j], 1e-12);
            }
        }
    }

    // ---------------------------------------------------------------- nll, mse, bce

    @Test
    void nllLossOfLogSoftmaxEqualsCrossEntropy() {
        Tensor z = GradCheck.uniform(arena, 12, -2, 2, 4, 3);
        Tensor y = arena.fromArray(new long[] {0, 2, -100, 1}, 4);
        for (Reduction r : Reduction.values()) {
            assertArrayEquals(Ops.crossEntropy(z, y, r, 0, -100).toDoubleArray(),
                    Ops.nllLoss(Ops.logSoftmax(z, 1), y, r, -100).toDoubleArray(), 1e-12, r.name());
        }
        Tensor y2 = arena.fromArray(new long[] {0, 2, 2, 1}, 4);
        assertEquals(Ops.crossEntropy(z, y2).item(), Ops.nllLoss(Ops.logSoftmax(z, 1), y2).item(), 1e-12);
        z.requiresGrad();
        GradCheck.check("nll_loss(log_softmax) with ignore", SECOND, in -> Ops.nllLoss(Ops.logSoftmax(in[0], 1), in[1], Reduction.MEAN, -100), z, y);
        Tensor lp = GradCheck.uniform(arena, 13, -3, -0.1, 4, 3).requiresGrad();
        GradCheck.check("nll_loss none", SECOND, in -> Ops.nllLoss(in[0], in[1], Reduction.NONE, NONE), lp, y2);
    }

    @Test
    void mseLossReductionsAndGradients() {
        Tensor p = arena.fromArray(new double[] {1, 2, 3, 4}, 2, 2);
        Tensor t = arena.fromArray(new double[] {0, 2, 5, 3}, 2, 2);
        assertEquals((1 + 0 + 4 + 1) / 4.0, Ops.mseLoss(p, t).item(), 1e-15);
        assertEquals(6, Ops.mseLoss(p, t, Reduction.SUM).item(), 1e-15);
        assertArrayEquals(new double[] {1, 0, 4, 1}, Ops.mseLoss(p, t, Reduction.NONE).toDoubleArray(), 1e-15);
        Tensor a = GradCheck.uniform(arena, 14, -1, 1, 3, 2).requiresGrad();
        Tensor b = GradCheck.uniform(arena, 15, -1, 1, 2, 3).transpose(0, 1).requiresGrad();
        GradCheck.check("mse_loss", SECOND, in -> Ops.mseLoss(in[0], in[1]), a, b);
        GradCheck.check("mse_loss none", SECOND, in -> Ops.mseLoss(in[0], in[1], Reduction.NONE), a, b);
    }

    @Test
    void binaryCrossEntropyMatchesReferenceAndClampsLogs() {
        double[] pv = {0.1, 0.7, 0.999, 0.5};
        double[] tv = {0, 1, 1, 0.3};
        Tensor p = arena.fromArray(pv, 4);
        Tensor t = arena.fromArray(tv, 4);
        double sum = 0;
        double[] rows = new double[4];
        for (int i = 0; i < 4; i++) {
            rows[i] = -(tv[i] * Math.log(pv[i]) + (1 - tv[i]) * Math.log(1 - pv[i]));
            sum += rows[i];
        }
        assertEquals(sum / 4, Ops.binaryCrossEntropy(p, t).item(), 1e-12);
        assertEquals(sum, Ops.binaryCrossEntropy(p, t, Reduction.SUM).item(), 1e-12);
        assertArrayEquals(rows, Ops.binaryCrossEntropy(p, t, Reduction.NONE).toDoubleArray(), 1e-12);
        // p = 0 and p = 1: each log is clamped at -100 and the gradient stays finite
        Tensor edge = arena.fromArray(new double[] {0, 1}, 2).requiresGrad();
        Tensor te = arena.fromArray(new double[] {1, 1}, 2);
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor l = Ops.binaryCrossEntropy(edge, te, Reduction.SUM);
            assertEquals(100, l.item(), 1e-12);
            tape.backward(l);
        }
        assertFalse(Double.isNaN(edge.grad().getDoubleFlat(0)) || Double.isNaN(edge.grad().getDoubleFlat(1)));
        Tensor pg = GradCheck.uniform(arena, 16, 0.05, 0.95, 2, 3).requiresGrad();
        Tensor tg = GradCheck.uniform(arena, 17, 0, 1, 2, 3).requiresGrad();
        GradCheck.check("binary_cross_entropy", SECOND, in -> Ops.binaryCrossEntropy(in[0], in[1]), pg, tg);
        GradCheck.check("binary_cross_entropy none", SECOND, in -> Ops.binaryCrossEntropy(in[0], in[1], Reduction.NONE), pg, tg);
    }

    @Test
    void binaryCrossEntropyWithLogitsIsStable() {
        double[] xv = {-1000, -3, 0.5, 2, 1000};
        double[] tv = {0.2, 1, 0, 0.7, 0.4};
        Tensor x = arena.fromArray(xv, 5);
        Tensor t = arena.fromArray(tv, 5);
        double[] got = Ops.binaryCrossEntropyWithLogits(x, t, Reduction.NONE).toDoubleArray();
        for (int i = 0; i < 5; i++) {
            // log(1 + e^x) - x t, written to stay finite for |x| = 1000
            double softplus = Math.max(xv[i], 0) + Math.log1p(Math.exp(-Math.abs(xv[i])));
            assertEquals(softplus - xv[i] * tv[i], got[i], 1e-12 * Math.max(1, Math.abs(got[i])));
        }
        assertEquals(1000 * 0.2, got[0], 1e-9);
        assertEquals(1000 * 0.6, got[4], 1e-9);
        // away from the extremes it equals bce(sigmoid(x))
        Tensor mid = arena.fromArray(new double[] {-3, 0.5, 2}, 3);
        Tensor tm = arena.fromArray(new double[] {1, 0, 0.7}, 3);
        assertEquals(Ops.binaryCrossEntropy(Ops.sigmoid(mid), tm).item(), Ops.binaryCrossEntropyWithLogits(mid, tm).item(), 1e-12);
        Tensor xg = GradCheck.uniform(arena, 18, 0.2, 2, 2, 3);
        for (int i = 0; i < 6; i += 2) {
            xg.setDoubleFlat(i, -xg.getDoubleFlat(i)); // both signs, away from the kink at 0
        }
        xg.requiresGrad();
        Tensor tg = GradCheck.uniform(arena, 19, 0, 1, 2, 3).requiresGrad();
        GradCheck.check("binary_cross_entropy_with_logits", SECOND, in -> Ops.binaryCrossEntropyWithLogits(in[0], in[1]), xg, tg);
        GradCheck.check("binary_cross_entropy_with_logits sum", SECOND,
                in -> Ops.binaryCrossEntropyWithLogits(in[0], in[1], Reduction.SUM), xg, tg);
        // d/dx = sigmoid(x) - t
        try (GradientTape tape = GradientTape.record(arena)) {
            tape.backward(Ops.binaryCrossEntropyWithLogits(xg, tg, Reduction.SUM));
        }
        for (int i = 0; i < 6; i++) {
            double s = 1 / (1 + Math.exp(-xg.getDoubleFlat(i)));
            assertEquals(s - tg.getDoubleFlat(i), xg.grad().getDoubleFlat(i), 1e-12);
        }
    }

    // ---------------------------------------------------------------- zero-GC step

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    private static long allocated() {
        return THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    /** crossEntropy(logits, labels) forward and backward; returns the loss. */
    private static double ceStep(TensorArena step, Tensor logits, Tensor labels, Reduction r, double smoothing, long ignore) {
        step.reset();
        try (GradientTape tape = GradientTape.record(step)) {
            Tensor loss = Ops.crossEntropy(logits, labels, r, smoothing, ignore);
            tape.backward(loss);
            return loss.item();
        }
    }

    /** crossEntropy(x w, labels) forward and backward; returns the loss. */
    private static double linearCeStep(TensorArena step, Tensor x, Tensor w, Tensor labels, Reduction r, double smoothing, long ignore) {
        step.reset();
        try (GradientTape tape = GradientTape.record(step)) {
            Tensor loss = Ops.crossEntropy(Ops.matmul(x, w), labels, r, smoothing, ignore);
            tape.backward(loss);
            return loss.item();
        }
    }

    /**
     * The least heap bytes per call of {@code step} over rounds of calls after a warm-up. Until C2 has compiled the
     * kernels the Vector API allocates, which takes long on a loaded machine, and one-off JIT or safepoint work can
     * be charged to the thread; a steady allocation shows in every round.
     */
    private static long steadyBytesPerCall(Runnable step) {
        for (int i = 0; i < 4000; i++) {
            step.run();
        }
        long best = Long.MAX_VALUE;
        long deadline = System.nanoTime() + 12_000_000_000L;
        while (best != 0 && System.nanoTime() < deadline) {
            long before = allocated();
            for (int i = 0; i < 500; i++) {
                step.run();
            }
            best = Math.min(best, (allocated() - before) / 500);
        }
        return best;
    }

    @Test
    void crossEntropyForwardAndBackwardAllocateNothingOnTheHeap() {
        try (TensorArena params = TensorArena.ofConfined("params", 1 << 20);
             TensorArena step = TensorArena.ofConfined("step", 1 << 20)) {
            Tensor z = params.randn(DType.F32, new long[] {8, 5}, 1).requiresGrad();
            Tensor labels = params.fromArray(new long[] {0, 4, 2, -100, 1, 3, 3, 0}, 8);
            Tensor plain = params.fromArray(new int[] {0, 4, 2, 2, 1, 3, 3, 0}, 8);
            Runnable both = () -> {
                ceStep(step, z, labels, Reduction.MEAN, 0.1, -100);
                ceStep(step, z, plain, Reduction.SUM, 0, NONE);
            };
            assertEquals(0, steadyBytesPerCall(both), "heap bytes per pair of cross-entropy steps");
        }
    }

    @Test
    void linearCrossEntropyStepAllocatesNothingOnTheHeap() {
        try (TensorArena params = TensorArena.ofConfined("params", 1 << 20);
             TensorArena step = TensorArena.ofConfined("step", 1 << 20)) {
            Tensor x = params.randn(DType.F32, new long[] {8, 16}, 1);
            Tensor w = params.randn(DType.F32, new long[] {16, 5}, 2).requiresGrad();
            Tensor labels = params.fromArray(new long[] {0, 4, 2, -100, 1, 3, 3, 0}, 8);
            Runnable one = () -> linearCeStep(step, x, w, labels, Reduction.MEAN, 0.1, -100);
            assertEquals(0, steadyBytesPerCall(one), "heap bytes per crossEntropy(matmul(x, w)) step");
            assertEquals(DType.F32, w.grad().dtype());
        }
    }

    // ---------------------------------------------------------------- errors

    @Test
    void badArgumentsAreNamed() {
        Tensor z = arena.zeros(DType.F64, 3, 5);
        Tensor y = arena.fromArray(new long[] {0, 4, 5}, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.crossEntropy(z, y));
        assertTrue(e.getMessage().startsWith("cross_entropy: label 5 at index 2") && e.getMessage().contains("C = 5"), e.getMessage());
        Tensor yNeg = arena.fromArray(new int[] {0, -100, 1}, 3);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.crossEntropy(z, yNeg, Reduction.MEAN, 0, -1));
        assertTrue(e.getMessage().contains("label -100 at index 1") && e.getMessage().contains("ignore index -1"), e.getMessage());
        Tensor yf = arena.zeros(DType.F64, 3);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.crossEntropy(z, yf));
        assertTrue(e.getMessage().startsWith("cross_entropy: labels f64[3]") && e.getMessage().contains("i32 or i64"), e.getMessage());
        Tensor yShort = arena.fromArray(new long[] {0, 1}, 2);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.crossEntropy(z, yShort));
        assertTrue(e.getMessage().contains("N = 3"), e.getMessage());
        Tensor z3 = arena.zeros(DType.F64, 3, 5, 1);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.crossEntropy(z3, y));
        assertTrue(e.getMessage().contains("must be 2-D [N, C]"), e.getMessage());
        Tensor ok = arena.fromArray(new long[] {0, 1, 2}, 3);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.crossEntropy(z, ok, Reduction.MEAN, 1.0, NONE));
        assertTrue(e.getMessage().contains("label smoothing 1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Ops.nllLoss(z, y));
        assertTrue(e.getMessage().startsWith("nll_loss: label 5 at index 2"), e.getMessage());
        Tensor a = arena.zeros(DType.F64, 2, 3);
        Tensor b = arena.zeros(DType.F64, 3, 2);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.mseLoss(a, b));
        assertTrue(e.getMessage().startsWith("mse_loss:") && e.getMessage().contains("f64[2, 3]") && e.getMessage().contains("f64[3, 2]"),
                e.getMessage());
        Tensor f = arena.zeros(DType.F32, 2, 3);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.binaryCrossEntropy(a, f));
        assertTrue(e.getMessage().startsWith("binary_cross_entropy:") && e.getMessage().contains("f32[2, 3]"), e.getMessage());
    }
}
