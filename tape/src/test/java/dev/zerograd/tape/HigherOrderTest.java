package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Derivatives of derivatives: grad-of-grad on a persistent tape ({@code gradient(..., createGraph = true)}
 * then gradient again) against analytic Hessians and third to fifth derivatives; Hessian-vector products by
 * reverse-over-reverse, forward-over-reverse and reverse-over-forward against each other and against finite
 * differences of gradients.
 */
class HigherOrderTest {
    private TensorArena a;

    @BeforeEach
    void open() {
        a = TensorArena.ofConfined("higher-order", 64 << 20);
    }

    @AfterEach
    void close() {
        a.close();
    }

    private Tensor uniform(long seed, double lo, double hi, long... shape) {
        return GradCheck.uniform(a, seed, lo, hi, shape).requiresGrad();
    }

    private static void assertClose(double expected, double actual, double tol, String what) {
        assertEquals(expected, actual, tol * Math.max(1, Math.abs(expected)), what);
    }

    private static void assertMatrix(double[][] expected, double[][] actual, double tol, String what) {
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                assertClose(expected[i][j], actual[i][j], tol, what + " [" + i + "][" + j + "]");
            }
        }
    }

    // ---------------------------------------------------------------- Hessians by three routes

    /** Rows of d(grad)/d(sources): row k of block (i, j) is e_k^T d grads[i] / d sources[j], from a persistent tape. */
    private double[][] hessianReverseOverReverse(GradCheck.Fn f, Tensor... sources) {
        int n = 0;
        int[] offset = new int[sources.length + 1];
        for (int i = 0; i < sources.length; i++) {
            offset[i + 1] = offset[i] + (int) sources[i].numel();
        }
        n = offset[sources.length];
        double[][] h = new double[n][n];
        long mark = a.mark();
        try (GradientTape tape = GradientTape.persistent(a)) {
            Tensor[] grads = new Tensor[sources.length];
            tape.gradient(f.apply(sources), null, sources, grads, true);
            Tensor[] second = new Tensor[sources.length];
            for (int i = 0; i < sources.length; i++) {
                if (!grads[i].needsGrad()) {
                    continue; // this gradient is constant: its rows are zero
                }
                for (int k = 0; k < sources[i].numel(); k++) {
                    Tensor e = a.zerosLike(grads[i]);
                    e.setDoubleFlat(k, 1);
                    tape.gradient(grads[i], e, sources, second, false);
                    for (int j = 0; j < sources.length; j++) {
                        double[] row = second[j].toDoubleArray();
                        System.arraycopy(row, 0, h[offset[i] + k], offset[j], row.length);
                    }
                }
            }
        } finally {
            a.reset(mark);
        }
        return h;
    }

    /** H v by forward-over-reverse: the tangents of the gradients when the sources carry tangents v. */
    private double[][] hvpForwardOverReverse(GradCheck.Fn f, Tensor[] sources, Tensor[] v, boolean createGraph) {
        double[][] out = new double[sources.length][];
        long mark = a.mark();
        try (Tape.Guard fw = ForwardAD.scope(); GradientTape tape = GradientTape.persistent(a)) {
            for (int i = 0; i < sources.length; i++) {
                ForwardAD.dual(sources[i], v[i]);
            }
            Tensor[] grads = new Tensor[sources.length];
            tape.gradient(f.apply(sources), null, sources, grads, createGraph);
            for (int i = 0; i < sources.length; i++) {
                Tensor t = grads[i].tangent();
                out[i] = t == null ? new double[(int) sources[i].numel()] : t.toDoubleArray();
            }
        } finally {
            for (Tensor s : sources) {
                s.setTangent(null);
            }
            a.reset(mark);
        }
        return out;
    }

    /** H v by reverse-over-reverse: the gradient of sum_i <grad_i, v_i>. */
    private double[][] hvpReverseOverReverse(GradCheck.Fn f, Tensor[] sources, Tensor[] v) {
        double[][] out = new double[sources.length][];
        long mark = a.mark();
        try (GradientTape tape = GradientTape.persistent(a)) {
            Tensor[] grads = new Tensor[sources.length];
            tape.gradient(f.apply(sources), null, sources, grads, true);
            Tensor s = null;
            for (int i = 0; i < sources.length; i++) {
                Tensor term = Ops.sum(Ops.mul(grads[i], v[i]));
                s = s == null ? term : Ops.add(s, term);
            }
            Tensor[] hv = new Tensor[sources.length];
            tape.gradient(s, null, sources, hv, false);
            for (int i = 0; i < sources.length; i++) {
                out[i] = hv[i].toDoubleArray();
            }
        } finally {
            a.reset(mark);
        }
        return out;
    }

    /** H v by reverse-over-forward: the gradient of the JVP <grad f, v>, which the forward rules record. */
    private double[][] hvpReverseOverForward(GradCheck.Fn f, Tensor[] sources, Tensor[] v) {
        double[][] out = new double[sources.length][];
        long mark = a.mark();
        try (GradientTape tape = GradientTape.persistent(a); Tape.Guard fw = ForwardAD.scope()) {
            for (int i = 0; i < sources.length; i++) {
                ForwardAD.dual(sources[i], v[i]);
            }
            Tensor jv = f.apply(sources).tangent();
            assertNotNull(jv, "the JVP of a function of the sources");
            Tensor[] hv = new Tensor[sources.length];
            tape.gradient(jv, null, sources, hv, false);
            for (int i = 0; i < sources.length; i++) {
                out[i] = hv[i].toDoubleArray();
            }
        } finally {
            for (Tensor s : sources) {
                s.setTangent(null);
            }
            a.reset(mark);
        }
        return out;
    }

    /** H v by central differences of first-order gradients along v. */
    private double[][] hvpFiniteDifferences(GradCheck.Fn f, Tensor[] sources, Tensor[] v, double eps) {
        double[][] plus = gradientsAt(f, sources, v, eps);
        double[][] minus = gradientsAt(f, sources, v, -eps);
        for (int i = 0; i < plus.length; i++) {
            for (int k = 0; k < plus[i].length; k++) {
                plus[i][k] = (plus[i][k] - minus[i][k]) / (2 * eps);
            }
        }
        return plus;
    }

    private double[][] gradientsAt(GradCheck.Fn f, Tensor[] sources, Tensor[] v, double step) {
        double[][] saved = new double[sources.length][];
        for (int i = 0; i < sources.length; i++) {
            saved[i] = sources[i].toDoubleArray();
            for (int k = 0; k < saved[i].length; k++) {
                sources[i].setDoubleFlat(k, saved[i][k] + step * v[i].getDoubleFlat(k));
            }
        }
        double[][] out = new double[sources.length][];
        long mark = a.mark();
        try (GradientTape tape = GradientTape.record(a)) {
            Tensor[] grads = new Tensor[sources.length];
            tape.gradient(f.apply(sources), null, sources, grads, false);
            for (int i = 0; i < sources.length; i++) {
                out[i] = grads[i].toDoubleArray();
            }
        } finally {
            a.reset(mark);
            for (int i = 0; i < sources.length; i++) {
                for (int k = 0; k < saved[i].length; k++) {
                    sources[i].setDoubleFlat(k, saved[i][k]);
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- analytic Hessians

    @Test
    void sumOfCubesHasDiagonalHessianSixX() {
        Tensor x = uniform(1, -2, 2, 5);
        double[][] h = hessianReverseOverReverse(in -> Ops.sum(Ops.mul(Ops.mul(in[0], in[0]), in[0])), x);
        double[][] h2 = hessianReverseOverReverse(in -> Ops.sum(Ops.pow(in[0], 3.0)), x);
        double[][] expected = new double[5][5];
        for (int i = 0; i < 5; i++) {
            expected[i][i] = 6 * x.getDoubleFlat(i);
        }
        assertMatrix(expected, h, 1e-12, "d2 sum(x x x) / dx2");
        assertMatrix(expected, h2, 1e-12, "d2 sum(x^3) / dx2");
    }

    @Test
    void mixedPartialsOfSumXYY() {
        // f = sum(x y^2): d2f/dx2 = 0, d2f/dxdy = diag(2y), d2f/dy2 = diag(2x)
        Tensor x = uniform(2, -2, 2, 3);
        Tensor y = uniform(3, -2, 2, 3);
        double[][] h = hessianReverseOverReverse(in -> Ops.sum(Ops.mul(Ops.mul(in[0], in[1]), in[1])), x, y);
        double[][] expected = new double[6][6];
        for (int i = 0; i < 3; i++) {
            expected[i][3 + i] = 2 * y.getDoubleFlat(i);
            expected[3 + i][i] = 2 * y.getDoubleFlat(i);
            expected[3 + i][3 + i] = 2 * x.getDoubleFlat(i);
        }
        assertMatrix(expected, h, 1e-12, "Hessian of sum(x y y) over (x, y)");
    }

    @Test
    void hessianOfSumTanhWxMatchesTheFormula() {
        // f(x) = sum(tanh(W x)), t = tanh(W x): H = W^T diag(-2 t (1 - t^2)) W
        Tensor w = GradCheck.uniform(a, 4, -1, 1, 3, 4);
        Tensor x = uniform(5, -1, 1, 4);
        GradCheck.Fn f = in -> Ops.sum(Ops.tanh(Ops.matmul(w, in[0])));
        double[][] h = hessianReverseOverReverse(f, x);
        double[] d = new double[3];
        for (int r = 0; r < 3; r++) {
            double s = 0;
            for (int c = 0; c < 4; c++) {
                s += w.getDouble(r, c) * x.getDoubleFlat(c);
            }
            double t = Math.tanh(s);
            d[r] = -2 * t * (1 - t * t);
        }
        double[][] expected = new double[4][4];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                for (int r = 0; r < 3; r++) {
                    expected[i][j] += w.getDouble(r, i) * d[r] * w.getDouble(r, j);
                }
            }
        }
        assertMatrix(expected, h, 1e-12, "Hessian of sum(tanh(W x))");
        // each column by forward-over-reverse, with and without create-graph, is the same Hessian
        for (boolean createGraph : new boolean[] {false, true}) {
            double[][] cols = new double[4][];
            for (int j = 0; j < 4; j++) {
                Tensor e = a.zeros(DType.F64, 4);
                e.setDoubleFlat(j, 1);
                cols[j] = hvpForwardOverReverse(f, new Tensor[] {x}, new Tensor[] {e}, createGraph)[0];
            }
            assertMatrix(expected, transpose(cols), 1e-12, "forward-over-reverse Hessian (createGraph " + createGraph + ")");
        }
    }

    private static double[][] transpose(double[][] m) {
        double[][] t = new double[m[0].length][m.length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[i].length; j++) {
                t[j][i] = m[i][j];
            }
        }
        return t;
    }

    @Test
    void hessiansAreSymmetricAndAgreeAcrossRoutes() {
        // a function with cross terms between two inputs and a shared subexpression
        GradCheck.Fn f = in -> {
            Tensor h = Ops.mul(in[0], in[1]);
            return Ops.sum(Ops.add(Ops.mul(Ops.sin(h), in[0]), Ops.div(Ops.exp(in[1]), Ops.add(Ops.square(in[0]), 1.0))));
        };
        Tensor x = uniform(6, -1, 1, 3);
        Tensor y = uniform(7, -1, 1, 3);
        double[][] h = hessianReverseOverReverse(f, x, y);
        assertMatrix(transpose(h), h, 1e-12, "symmetry of the Hessian");
        for (int j = 0; j < 6; j++) {
            Tensor ex = a.zeros(DType.F64, 3);
            Tensor ey = a.zeros(DType.F64, 3);
            (j < 3 ? ex : ey).setDoubleFlat(j % 3, 1);
            Tensor[] src = {x, y};
            Tensor[] v = {ex, ey};
            double[][] fr = hvpForwardOverReverse(f, src, v, false);
            double[][] rf = hvpReverseOverForward(f, src, v);
            double[][] fd = hvpFiniteDifferences(f, src, v, 1e-5);
            for (int i = 0; i < 6; i++) {
                double col = h[i][j];
                assertClose(col, fr[i / 3][i % 3], 1e-12, "forward-over-reverse H[" + i + "][" + j + "]");
                assertClose(col, rf[i / 3][i % 3], 1e-12, "reverse-over-forward H[" + i + "][" + j + "]");
                assertClose(col, fd[i / 3][i % 3], 1e-7, "finite differences of gradients H[" + i + "][" + j + "]");
            }
        }
    }

    // ---------------------------------------------------------------- Hessian-vector products of an MLP loss

    @Test
    void mlpLossHvpByEveryRouteMatchesFiniteDifferencesOfGradients() {
        Tensor x = GradCheck.uniform(a, 10, -1, 1, 4, 3);
        Tensor target = GradCheck.uniform(a, 11, -1, 1, 4, 2);
        Tensor[] params = {
            uniform(12, -1, 1, 3, 5), uniform(13, -0.5, 0.5, 5), uniform(14, -1, 1, 5, 2), uniform(15, -0.5, 0.5, 2),
        };
        Tensor[] v = new Tensor[params.length];
        for (int i = 0; i < params.length; i++) {
            v[i] = a.randn(DType.F64, params[i].shape(), 20 + i);
        }
        GradCheck.Fn loss = in -> Composites.mlpLoss(x, in[0], in[1], in[2], in[3], target);
        double[][] rr = hvpReverseOverReverse(loss, params, v);
        double[][] fr = hvpForwardOverReverse(loss, params, v, false);
        double[][] frc = hvpForwardOverReverse(loss, params, v, true);
        double[][] rf = hvpReverseOverForward(loss, params, v);
        double[][] fd = hvpFiniteDifferences(loss, params, v, 1e-5);
        double norm = 0;
        for (int i = 0; i < params.length; i++) {
            for (int k = 0; k < rr[i].length; k++) {
                String at = "H v for parameter " + i + " element " + k;
                norm += Math.abs(rr[i][k]);
                assertClose(fd[i][k], rr[i][k], 1e-7, "reverse-over-reverse " + at);
                assertClose(rr[i][k], fr[i][k], 1e-12, "forward-over-reverse " + at);
                assertClose(rr[i][k], frc[i][k], 1e-12, "forward-over-reverse with create-graph " + at);
                assertClose(rr[i][k], rf[i][k], 1e-12, "reverse-over-forward " + at);
            }
        }
        assertTrue(norm > 1e-3, "the loss has curvature along v (the check is not vacuous): |H v|_1 = " + norm);
    }

    // ---------------------------------------------------------------- fused ops against their composites

    /**
     * f(x), the gradient of sum(f(x) w) by a plain backward pass, the same gradient in create-graph mode, and
     * the Hessian-vector product along v from the latter (fused ops may take different paths in the two modes).
     */
    private double[][] valueGradientHvp(UnaryOperator<Tensor> f, Tensor x, Tensor w, Tensor v) {
        long mark = a.mark();
        try {
            double[] plain;
            try (GradientTape tape = GradientTape.record(a)) {
                plain = tape.gradient(Ops.sum(Ops.mul(f.apply(x), w)), x).toDoubleArray();
            }
            try (GradientTape tape = GradientTape.persistent(a)) {
                Tensor y = f.apply(x);
                Tensor g = tape.gradient(Ops.sum(Ops.mul(y, w)), x, true);
                Tensor hv = tape.gradient(Ops.sum(Ops.mul(g, v)), x, false);
                return new double[][] {y.toDoubleArray(), plain, g.toDoubleArray(), hv.toDoubleArray()};
            }
        } finally {
            a.reset(mark);
        }
    }

    private record Pair(String name, UnaryOperator<Tensor> fused, UnaryOperator<Tensor> composite) {}

    /** Constant per-feature scale and shift for the normalizations (three features). */
    private Tensor gamma() {
        return a.fromArray(new double[] {0.5, 1.5, -1.2}, 3);
    }

    private Tensor beta() {
        return a.fromArray(new double[] {0.1, -0.3, 0.7}, 3);
    }

    /**
     * The fused ops with hand-written rules (softmax, log-softmax, cross-entropy with smoothing and an ignored
     * label, var, layer and batch normalization) against the same functions written with primitives: equal
     * values, gradients and Hessian-vector products, so the fused rules' second derivatives are checked
     * against the primitives'.
     */
    @TestFactory
    Stream<DynamicTest> fusedOpsMatchTheirCompositesToSecondOrder() {
        long[] labels = {1, 2, 0, 1};
        // smoothing 0.1 over 3 classes: q = 0.9 one_hot + 0.1 / 3; label 2 ignored: row 1 masked, mean over 3 rows
        double hi = 0.9 + 0.1 / 3;
        double lo = 0.1 / 3;
        double[] q = {lo, hi, lo, lo, lo, hi, hi, lo, lo, lo, hi, lo};
        double[] rowMask = {1, 0, 1, 1};
        Pair[] pairs = {
            new Pair("softmax", x -> Ops.softmax(x, 1), Composites::softmax),
            new Pair("log_softmax", x -> Ops.logSoftmax(x, -1), Composites::logSoftmax),
            new Pair("cross_entropy, smoothing 0.1, ignoring label 2",
                    x -> Ops.crossEntropy(x, a.fromArray(labels.clone(), 4), Reduction.MEAN, 0.1, 2),
                    x -> Ops.mul(Ops.sum(Ops.mul(Ops.sum(Ops.mul(a.fromArray(q.clone(), 4, 3), Composites.logSoftmax(x)), 1, false),
                            a.fromArray(rowMask.clone(), 4))), -1.0 / 3)),
            new Pair("var over dim 1", x -> Ops.var(x, 1, false, 1),
                    x -> Ops.mul(Ops.sum(Ops.square(Ops.sub(x, Ops.mean(x, 1, true))), 1, false), 1.0 / 2)),
            new Pair("layer_norm over the last dim", x -> Ops.layerNorm(x, 1, gamma(), beta(), 1e-5),
                    x -> Composites.layerNorm(x, gamma(), beta())),
            new Pair("batch_norm, training, [N, C] = [4, 3]", x -> Ops.batchNorm(x, gamma(), beta(), null, null, true, 0.1, 1e-5),
                    x -> {
                        Tensor centered = Ops.sub(x, Ops.mean(x, 0, true));
                        Tensor var = Ops.mean(Ops.square(centered), 0, true);
                        return Ops.add(Ops.mul(Ops.mul(centered, Ops.rsqrt(Ops.add(var, 1e-5))), gamma()), beta());
                    }),
        };
        return Stream.of(pairs).map(p -> DynamicTest.dynamicTest(p.name(), () -> {
            Tensor x = uniform(50, -2, 2, 4, 3);
            long[] outShape;
            try (Tape.Guard ng = Tape.noGrad(); Tape.Guard at = Tape.allocateIn(a)) {
                outShape = p.fused().apply(x).shape();
            }
            Tensor w = a.randn(DType.F64, outShape, 51);
            Tensor v = a.randn(DType.F64, x.shape(), 52);
            double[][] fused = valueGradientHvp(p.fused(), x, w, v);
            double[][] composite = valueGradientHvp(p.composite(), x, w, v);
            String[] what = {"value", "gradient", "gradient in create-graph mode", "Hessian-vector product"};
            for (int k = 0; k < what.length; k++) {
                assertEquals(composite[k].length, fused[k].length, p.name() + ": size of the " + what[k]);
                for (int i = 0; i < fused[k].length; i++) {
                    assertClose(composite[k][i], fused[k][i], 1e-12, p.name() + ": " + what[k] + " [" + i + "]");
                }
            }
        }));
    }

    // ---------------------------------------------------------------- derivatives of order 3 and beyond

    /**
     * The first {@code order} derivatives of an elementwise f at x by repeated grad of the sum: since f acts
     * per element, d/dx sum(f^(k)(x)) = f^(k+1)(x). {@code out[k - 1]} holds f^(k); derivatives past a
     * constant one are zero.
     */
    private double[][] derivatives(UnaryOperator<Tensor> f, Tensor x, int order) {
        double[][] out = new double[order][];
        long mark = a.mark();
        try (GradientTape tape = GradientTape.persistent(a)) {
            Tensor d = Ops.sum(f.apply(x));
            for (int k = 1; k <= order; k++) {
                if (!d.needsGrad()) {
                    out[k - 1] = new double[(int) x.numel()];
                    continue;
                }
                Tensor g = tape.gradient(d, x, k < order);
                out[k - 1] = g.toDoubleArray();
                d = Ops.sum(g);
            }
        } finally {
            a.reset(mark);
        }
        return out;
    }

    @Test
    void sinAndExpDerivativesUpToFifthOrder() {
        Tensor x = uniform(30, -3, 3, 6);
        double[][] s = derivatives(Ops::sin, x, 5);
        double[][] e = derivatives(Ops::exp, x, 5);
        for (int k = 1; k <= 5; k++) {
            for (int i = 0; i < 6; i++) {
                double xi = x.getDoubleFlat(i);
                assertClose(Math.sin(xi + k * Math.PI / 2), s[k - 1][i], 1e-12, "d^" + k + " sin / dx^" + k + " at " + xi);
                assertClose(Math.exp(xi), e[k - 1][i], 1e-12, "d^" + k + " exp / dx^" + k + " at " + xi);
            }
        }
    }

    @Test
    void tanhDerivativesUpToFourthOrder() {
        Tensor x = uniform(31, -2, 2, 6);
        double[][] d = derivatives(Ops::tanh, x, 4);
        for (int i = 0; i < 6; i++) {
            double t = Math.tanh(x.getDoubleFlat(i));
            double s = 1 - t * t;
            double[] expected = {s, -2 * t * s, s * (6 * t * t - 2), 8 * t * s * (2 - 3 * t * t)};
            for (int k = 0; k < 4; k++) {
                assertClose(expected[k], d[k][i], 1e-12, "d^" + (k + 1) + " tanh at " + x.getDoubleFlat(i));
            }
        }
    }

    /** An elementwise function and the domain where it is smooth. */
    private record Smooth(String name, UnaryOperator<Tensor> f, double lo, double hi) {}

    private static final Smooth[] SMOOTH = {
        new Smooth("sin", Ops::sin, -3, 3),
        new Smooth("cos", Ops::cos, -3, 3),
        new Smooth("exp", Ops::exp, -2, 2),
        new Smooth("log", Ops::log, 0.8, 2),
        new Smooth("sqrt", Ops::sqrt, 0.8, 2),
        new Smooth("rsqrt", Ops::rsqrt, 0.8, 2),
        new Smooth("reciprocal", Ops::reciprocal, 0.8, 2),
        new Smooth("pow_scalar 2.5", x -> Ops.pow(x, 2.5), 0.8, 2),
        new Smooth("square", Ops::square, -2, 2),
        new Smooth("log1p", Ops::log1p, -0.2, 2),
        new Smooth("expm1", Ops::expm1, -2, 2),
        new Smooth("erf", Ops::erf, -2, 2),
        new Smooth("tanh", Ops::tanh, -2, 2),
        new Smooth("sigmoid", Ops::sigmoid, -3, 3),
        new Smooth("silu", Ops::silu, -3, 3),
        new Smooth("gelu", Ops::gelu, -3, 3),
        new Smooth("gelu_tanh", Ops::geluTanh, -3, 3),
        new Smooth("softplus", Ops::softplus, -3, 3),
        new Smooth("softplus beta 2", x -> Ops.softplus(x, 2), -3, 3),
        new Smooth("elu, x > 0.1", Ops::elu, 0.1, 2),
        new Smooth("elu, x < -0.1", x -> Ops.elu(x, 0.5), -2, -0.1),
        new Smooth("x sin x / (1 + x^2)", x -> Ops.div(Ops.mul(x, Ops.sin(x)), Ops.add(Ops.square(x), 1.0)), -2, 2),
    };

    /**
     * Orders 1 to 4 of every smooth elementwise function: each derivative by automatic differentiation
     * against central differences of the one below it (also by automatic differentiation), so every rule's
     * derivative is checked through four levels of create-graph.
     */
    @TestFactory
    Stream<DynamicTest> derivativesUpToFourthOrderAgreeWithDifferencesOfTheOrderBelow() {
        return Stream.of(SMOOTH).map(s -> DynamicTest.dynamicTest(s.name(), () -> {
            double eps = 1e-5;
            Tensor x = uniform(40, s.lo(), s.hi(), 5);
            double[][] d = derivatives(s.f(), x, 4);
            double[] base = x.toDoubleArray();
            double[][][] shifted = new double[2][][];
            for (int side = 0; side < 2; side++) {
                for (int i = 0; i < base.length; i++) {
                    x.setDoubleFlat(i, base[i] + (side == 0 ? eps : -eps));
                }
                shifted[side] = derivatives(s.f(), x, 3);
                long mark = a.mark();
                try (Tape.Guard ng = Tape.noGrad(); Tape.Guard at = Tape.allocateIn(a)) {
                    double[] values = s.f().apply(x).toDoubleArray();
                    double[][] withValue = new double[4][];
                    withValue[0] = values;
                    System.arraycopy(shifted[side], 0, withValue, 1, 3);
                    shifted[side] = withValue;
                } finally {
                    a.reset(mark);
                }
            }
            for (int i = 0; i < base.length; i++) {
                x.setDoubleFlat(i, base[i]);
            }
            for (int k = 1; k <= 4; k++) {
                for (int i = 0; i < base.length; i++) {
                    double numeric = (shifted[0][k - 1][i] - shifted[1][k - 1][i]) / (2 * eps);
                    assertEquals(numeric, d[k - 1][i], 1e-6 * Math.max(1, Math.abs(numeric)),
                            s.name() + ": derivative of order " + k + " at x = " + base[i]);
                }
            }
        }));
    }
}
