package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hessian-vector products of a small conv net loss (conv with bias, batch norm, tanh, max pool, strided
 * grouped conv, padded average pool, global pool, layer norm, dropout) by reverse-over-reverse,
 * forward-over-reverse (with and without create-graph) and reverse-over-forward, against each other and
 * against central differences of first-order gradients: every rule of ConvOps, PoolOps, NormOps and DropoutOps
 * composes with every mode.
 */
class SpatialHigherOrderTest {
    private TensorArena a;

    @BeforeEach
    void open() {
        a = TensorArena.ofConfined("spatial-higher-order", 32 << 20);
    }

    @AfterEach
    void close() {
        a.close();
    }

    private static Tensor loss(Tensor[] p, Tensor x) {
        Tensor h = Ops.conv2d(x, p[0], p[1], 1, 1);                                  // [2, 4, 5, 5]
        h = Ops.tanh(Ops.batchNorm(h, p[2], p[3], null, null, true, 0.1, 1e-5));
        h = Ops.maxPool2d(h, 2, 2, 1, 1, 1, 1, 1, 1);                                // [2, 4, 6, 6]
        h = Ops.conv2d(h, p[4], null, 2, 2, 1, 1, 1, 1, 2);                          // [2, 4, 3, 3]
        h = Ops.avgPool2d(h, 3, 3, 1, 1, 1, 1, false);
        h = Ops.reshape(Ops.adaptiveAvgPool2d1x1(Ops.square(h)), 2, 4);
        h = Ops.dropout(Ops.layerNorm(h, 1, p[5], null, 1e-5), 0.25, 5, 0, true);
        return Ops.sum(Ops.mul(h, Ops.sin(h)));
    }

    @Test
    void convNetHessianVectorProductsAgreeAcrossRoutes() {
        Tensor x = GradCheck.uniform(a, 1, -1, 1, 2, 2, 5, 5);
        Tensor[] p = {
            GradCheck.uniform(a, 2, -0.5, 0.5, 4, 2, 3, 3).requiresGrad(),
            GradCheck.uniform(a, 3, -0.5, 0.5, 4).requiresGrad(),
            GradCheck.uniform(a, 4, 0.5, 1.5, 4).requiresGrad(),
            GradCheck.uniform(a, 5, -0.5, 0.5, 4).requiresGrad(),
            GradCheck.uniform(a, 6, -0.5, 0.5, 4, 2, 3, 3).requiresGrad(),
            GradCheck.uniform(a, 7, 0.5, 1.5, 4).requiresGrad(),
        };
        Tensor[] v = new Tensor[p.length];
        for (int i = 0; i < p.length; i++) {
            v[i] = a.randn(DType.F64, p[i].shape(), 100 + i);
        }
        GradCheck.Fn f = in -> loss(in, x);
        double[][] rr = reverseOverReverse(f, p, v);
        double[][] fd = finiteDifferences(f, p, v, 1e-5);
        assertAgree(fd, rr, 1e-6, "reverse-over-reverse vs finite differences");
        assertAgree(rr, forwardOverReverse(f, p, v, false), 1e-10, "forward-over-reverse");
        assertAgree(rr, forwardOverReverse(f, p, v, true), 1e-10, "forward-over-reverse with create-graph");
        assertAgree(rr, reverseOverForward(f, p, v), 1e-10, "reverse-over-forward");
    }

    private static void assertAgree(double[][] expected, double[][] actual, double tol, String what) {
        for (int i = 0; i < expected.length; i++) {
            for (int k = 0; k < expected[i].length; k++) {
                assertEquals(expected[i][k], actual[i][k], tol * Math.max(1, Math.abs(expected[i][k])),
                        what + ": parameter " + i + " element " + k);
            }
        }
    }

    private double[][] reverseOverReverse(GradCheck.Fn f, Tensor[] sources, Tensor[] v) {
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
            return arrays(hv);
        } finally {
            a.reset(mark);
        }
    }

    private double[][] forwardOverReverse(GradCheck.Fn f, Tensor[] sources, Tensor[] v, boolean createGraph) {
        long mark = a.mark();
        try (Tape.Guard fw = ForwardAD.scope(); GradientTape tape = GradientTape.persistent(a)) {
            for (int i = 0; i < sources.length; i++) {
                ForwardAD.dual(sources[i], v[i]);
            }
            Tensor[] grads = new Tensor[sources.length];
            tape.gradient(f.apply(sources), null, sources, grads, createGraph);
            Tensor[] hv = new Tensor[sources.length];
            for (int i = 0; i < sources.length; i++) {
                hv[i] = grads[i].tangent();
                assertNotNull(hv[i], "tangent of gradient " + i);
            }
            return arrays(hv);
        } finally {
            for (Tensor s : sources) {
                s.setTangent(null);
            }
            a.reset(mark);
        }
    }

    private double[][] reverseOverForward(GradCheck.Fn f, Tensor[] sources, Tensor[] v) {
        long mark = a.mark();
        try (GradientTape tape = GradientTape.persistent(a); Tape.Guard fw = ForwardAD.scope()) {
            for (int i = 0; i < sources.length; i++) {
                ForwardAD.dual(sources[i], v[i]);
            }
            Tensor jv = f.apply(sources).tangent();
            Tensor[] hv = new Tensor[sources.length];
            tape.gradient(jv, null, sources, hv, false);
            return arrays(hv);
        } finally {
            for (Tensor s : sources) {
                s.setTangent(null);
            }
            a.reset(mark);
        }
    }

    private double[][] finiteDifferences(GradCheck.Fn f, Tensor[] sources, Tensor[] v, double eps) {
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
        double[][] saved = arrays(sources);
        for (int i = 0; i < sources.length; i++) {
            for (int k = 0; k < saved[i].length; k++) {
                sources[i].setDoubleFlat(k, saved[i][k] + step * v[i].getDoubleFlat(k));
            }
        }
        long mark = a.mark();
        try (GradientTape tape = GradientTape.record(a)) {
            Tensor[] grads = new Tensor[sources.length];
            tape.gradient(f.apply(sources), null, sources, grads, false);
            return arrays(grads);
        } finally {
            a.reset(mark);
            for (int i = 0; i < sources.length; i++) {
                for (int k = 0; k < saved[i].length; k++) {
                    sources[i].setDoubleFlat(k, saved[i][k]);
                }
            }
        }
    }

    private static double[][] arrays(Tensor[] ts) {
        double[][] out = new double[ts.length][];
        for (int i = 0; i < ts.length; i++) {
            out[i] = ts[i].toDoubleArray();
        }
        return out;
    }
}
