package dev.zerograd.tape;

import static dev.zerograd.tape.ConvOpsTest.SECOND;
import static dev.zerograd.tape.ConvOpsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * batch_norm (training and evaluation, with and without affine parameters and running statistics) and
 * layer_norm (over 1 and 2 dims): forward values against naive double references, the running-statistics
 * update, gradcheck in f64 with second order (Note [Normalization backward]: first order runs the fused
 * kernel, second order the composite), the two backward paths agreeing, and argument errors.
 */
class NormOpsTest {
    private static final double EPS = 1e-5;

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("norm-ops-test", 16 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private Tensor rand(long seed, double lo, double hi, long... shape) {
        return GradCheck.uniform(arena, seed, lo, hi, shape);
    }

    /** x [N, C, S] flattened: per channel, (x - mean) / sqrt(var + eps) * gamma + beta with the given or batch statistics. */
    private static double[] batchReference(double[] x, long n, long c, long s, double[] gamma, double[] beta, double[] mean, double[] var,
                                           double[] batchMeanOut, double[] batchVarOut) {
        double[] y = new double[x.length];
        for (int ch = 0; ch < c; ch++) {
            double m = 0;
            for (int a = 0; a < n; a++) {
                for (int k = 0; k < s; k++) {
                    m += x[(int) ((a * c + ch) * s + k)];
                }
            }
            m /= n * s;
            double v = 0;
            for (int a = 0; a < n; a++) {
                for (int k = 0; k < s; k++) {
                    double d = x[(int) ((a * c + ch) * s + k)] - m;
                    v += d * d;
                }
            }
            v /= n * s;
            if (batchMeanOut != null) {
                batchMeanOut[ch] = m;
                batchVarOut[ch] = v;
            }
            double mu = mean == null ? m : mean[ch];
            double sigma2 = var == null ? v : var[ch];
            for (int a = 0; a < n; a++) {
                for (int k = 0; k < s; k++) {
                    int i = (int) ((a * c + ch) * s + k);
                    y[i] = (x[i] - mu) / Math.sqrt(sigma2 + EPS) * (gamma == null ? 1 : gamma[ch]) + (beta == null ? 0 : beta[ch]);
                }
            }
        }
        return y;
    }

    /** Rows of length d: (x - mean) / sqrt(var + eps) * gamma + beta. */
    private static double[] layerReference(double[] x, int d, double[] gamma, double[] beta) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / d; r++) {
            double m = 0;
            for (int k = 0; k < d; k++) {
                m += x[r * d + k];
            }
            m /= d;
            double v = 0;
            for (int k = 0; k < d; k++) {
                v += (x[r * d + k] - m) * (x[r * d + k] - m);
            }
            v /= d;
            for (int k = 0; k < d; k++) {
                y[r * d + k] = (x[r * d + k] - m) / Math.sqrt(v + EPS) * (gamma == null ? 1 : gamma[k]) + (beta == null ? 0 : beta[k]);
            }
        }
        return y;
    }

    // ---------------------------------------------------------------- forward values

    @Test
    void batchNormTrainingUsesBatchStatisticsAndUpdatesRunningOnes() {
        Tensor x = rand(1, -2, 3, 4, 3, 2, 2);
        Tensor gamma = rand(2, 0.5, 1.5, 3);
        Tensor beta = rand(3, -1, 1, 3);
        Tensor runMean = arena.fromArray(new double[] {0.5, -0.5, 1}, 3);
        Tensor runVar = arena.fromArray(new double[] {1, 2, 0.5}, 3);
        double[] oldMean = runMean.toDoubleArray();
        double[] oldVar = runVar.toDoubleArray();
        double[] bm = new double[3];
        double[] bv = new double[3];
        double[] ref = batchReference(x.toDoubleArray(), 4, 3, 4, gamma.toDoubleArray(), beta.toDoubleArray(), null, null, bm, bv);
        Tensor y = Ops.batchNorm(x, gamma, beta, runMean, runVar, true, 0.1, EPS);
        assertArrayEquals(ref, y.toDoubleArray(), 1e-12);
        for (int c = 0; c < 3; c++) {
            assertEquals(0.9 * oldMean[c] + 0.1 * bm[c], runMean.getDouble(c), 1e-12);
            assertEquals(0.9 * oldVar[c] + 0.1 * bv[c] * 16 / 15, runVar.getDouble(c), 1e-12, "unbiased variance in the running estimate");
        }
        // without affine parameters or running statistics, on [N, C]
        Tensor x2 = rand(4, -1, 1, 5, 2);
        assertArrayEquals(batchReference(x2.toDoubleArray(), 5, 2, 1, null, null, null, null, null, null),
                Ops.batchNorm(x2, null, null, null, null, true, 0.1, EPS).toDoubleArray(), 1e-12);
    }

    @Test
    void batchNormEvaluationUsesRunningStatistics() {
        Tensor x = rand(5, -2, 2, 2, 3, 3);
        Tensor gamma = rand(6, 0.5, 1.5, 3);
        double[] mean = {0.1, -0.3, 0.7};
        double[] var = {0.5, 1.5, 2};
        Tensor rm = arena.fromArray(mean.clone(), 3);
        Tensor rv = arena.fromArray(var.clone(), 3);
        Tensor y = Ops.batchNorm(x, gamma, null, rm, rv, false, 0.1, EPS);
        assertArrayEquals(batchReference(x.toDoubleArray(), 2, 3, 3, gamma.toDoubleArray(), null, mean, var, null, null),
                y.toDoubleArray(), 1e-12);
        assertArrayEquals(mean, rm.toDoubleArray(), 0, "evaluation leaves the running statistics alone");
        assertArrayEquals(var, rv.toDoubleArray(), 0);
    }

    @Test
    void layerNormOverOneAndTwoDims() {
        Tensor x = rand(7, -2, 2, 2, 3, 4);
        Tensor g1 = rand(8, 0.5, 1.5, 4);
        Tensor b1 = rand(9, -1, 1, 4);
        assertArrayEquals(layerReference(x.toDoubleArray(), 4, g1.toDoubleArray(), b1.toDoubleArray()),
                Ops.layerNorm(x, 1, g1, b1, EPS).toDoubleArray(), 1e-12);
        Tensor g2 = rand(10, 0.5, 1.5, 3, 4);
        assertArrayEquals(layerReference(x.toDoubleArray(), 12, g2.toDoubleArray(), null),
                Ops.layerNorm(x, 2, g2, null, EPS).toDoubleArray(), 1e-12);
        Tensor xf = arena.randn(DType.F32, new long[] {3, 8}, 11);
        double[] ref = layerReference(xf.toDoubleArray(), 8, null, null);
        double[] got = Ops.layerNorm(xf, 1, null, null, EPS).toDoubleArray();
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i], got[i], 1e-5);
        }
    }

    // ---------------------------------------------------------------- gradients (f64, second order)

    @Test
    void gradcheckBatchNormTraining() {
        GradCheck.check("batch_norm training, gamma and beta, [3,2,2,2]", SECOND,
                in -> Ops.batchNorm(in[0], in[1], in[2], null, null, true, 0.1, EPS),
                rand(20, -2, 2, 3, 2, 2, 2).requiresGrad(), rand(21, 0.5, 1.5, 2).requiresGrad(), rand(22, -1, 1, 2).requiresGrad());
        Tensor rm = arena.zeros(DType.F64, 3);
        Tensor rv = arena.ones(DType.F64, 3);
        GradCheck.check("batch_norm training, no affine, running statistics, [4,3], squared", SECOND,
                in -> Ops.square(Ops.batchNorm(in[0], null, null, rm, rv, true, 0.1, EPS)), rand(23, -2, 2, 4, 3).requiresGrad());
        GradCheck.check("batch_norm training, gamma only, x constant", SECOND,
                in -> Ops.square(Ops.batchNorm(in[1], in[0], null, null, null, true, 0.1, EPS)),
                rand(24, 0.5, 1.5, 2).requiresGrad(), rand(25, -2, 2, 3, 2, 2));
    }

    @Test
    void gradcheckBatchNormEvaluation() {
        Tensor rm = arena.fromArray(new double[] {0.2, -0.1}, 2);
        Tensor rv = arena.fromArray(new double[] {0.7, 1.3}, 2);
        GradCheck.check("batch_norm eval, gamma and beta, squared", SECOND,
                in -> Ops.square(Ops.batchNorm(in[0], in[1], in[2], rm, rv, false, 0.1, EPS)),
                rand(26, -2, 2, 2, 2, 3).requiresGrad(), rand(27, 0.5, 1.5, 2).requiresGrad(), rand(28, -1, 1, 2).requiresGrad());
        GradCheck.check("batch_norm eval, no affine", SECOND,
                in -> Ops.batchNorm(in[0], null, null, rm, rv, false, 0.1, EPS), rand(29, -2, 2, 3, 2).requiresGrad());
    }

    @Test
    void gradcheckLayerNorm() {
        GradCheck.check("layer_norm over the last dim, gamma and beta", SECOND,
                in -> Ops.layerNorm(in[0], 1, in[1], in[2], EPS),
                rand(30, -2, 2, 3, 4).requiresGrad(), rand(31, 0.5, 1.5, 4).requiresGrad(), rand(32, -1, 1, 4).requiresGrad());
        GradCheck.check("layer_norm over the last 2 dims, gamma only, squared", SECOND,
                in -> Ops.square(Ops.layerNorm(in[0], 2, in[1], null, EPS)),
                rand(33, -2, 2, 2, 2, 3).requiresGrad(), rand(34, 0.5, 1.5, 2, 3).requiresGrad());
        GradCheck.check("layer_norm without affine, squared", SECOND,
                in -> Ops.square(Ops.layerNorm(in[0], 1, null, null, EPS)), rand(35, -2, 2, 2, 5).requiresGrad());
    }

    @Test
    void fusedAndCompositeBackwardAgree() {
        // a plain gradient runs the fused kernel, create-graph the composite (Note [Normalization backward])
        Tensor x = rand(40, -2, 2, 4, 3, 2, 2).requiresGrad();
        Tensor[] batch = {x, rand(41, 0.5, 1.5, 3).requiresGrad(), rand(42, -1, 1, 3).requiresGrad()};
        compareBackwardPaths(in -> Ops.batchNorm(in[0], in[1], in[2], null, null, true, 0.1, EPS), batch, rand(43, -1, 1, 4, 3, 2, 2));
        Tensor[] layer = {rand(44, -2, 2, 2, 3, 4).requiresGrad(), rand(45, 0.5, 1.5, 3, 4).requiresGrad(), rand(46, -1, 1, 3, 4).requiresGrad()};
        compareBackwardPaths(in -> Ops.layerNorm(in[0], 2, in[1], in[2], EPS), layer, rand(47, -1, 1, 2, 3, 4));
    }

    @Test
    void backwardFromABroadcastGradient() {
        // sum's gradient reaches the norm as a stride-0 view of one element; it must give what a dense one gives
        Tensor x = rand(48, -2, 2, 3, 2, 4).requiresGrad();
        Tensor gamma = rand(49, 0.5, 1.5, 2).requiresGrad();
        Tensor lnGamma = rand(50, 0.5, 1.5, 4).requiresGrad();
        GradCheck.Fn[] fns = {
            in -> Ops.batchNorm(in[0], in[1], null, null, null, true, 0.1, EPS),
            in -> Ops.layerNorm(in[0], 1, in[2], null, EPS),
        };
        Tensor[] inputs = {x, gamma, lnGamma};
        for (GradCheck.Fn f : fns) {
            Tensor[] dense = new Tensor[3];
            Tensor[] broadcast = new Tensor[3];
            try (TensorArena step = TensorArena.ofConfined("step", 1 << 20); GradientTape tape = GradientTape.persistent(step)) {
                Tensor y = f.apply(inputs);
                tape.gradient(y, step.ones(DType.F64, y.shape()), inputs, dense, false);
                tape.gradient(Ops.sum(y), null, inputs, broadcast, false);
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(dense[i].toDoubleArray(), broadcast[i].toDoubleArray(), 1e-12, "gradient " + i);
                }
            }
        }
    }

    private static void compareBackwardPaths(GradCheck.Fn f, Tensor[] inputs, Tensor seed) {
        double[][][] grads = new double[2][inputs.length][];
        for (int mode = 0; mode < 2; mode++) {
            Tensor[] out = new Tensor[inputs.length];
            try (TensorArena step = TensorArena.ofConfined("step", 1 << 20); GradientTape tape = GradientTape.persistent(step)) {
                tape.gradient(f.apply(inputs), seed, inputs, out, mode == 1);
                for (int i = 0; i < inputs.length; i++) {
                    grads[mode][i] = out[i].toDoubleArray();
                }
            }
        }
        for (int i = 0; i < inputs.length; i++) {
            assertArrayEquals(grads[0][i], grads[1][i], 1e-12, "gradient " + i);
        }
    }

    // ---------------------------------------------------------------- errors

    @Test
    void errorsNameTheOpTheShapesAndWhatWasExpected() {
        Tensor x = rand(50, -1, 1, 2, 3, 2);
        assertMessage(() -> Ops.batchNorm(x, rand(51, 0, 1, 2), null, null, null, true, 0.1, EPS),
                "batch_norm", "gamma of shape [3]", "f64[2]", "f64[2, 3, 2]");
        assertMessage(() -> Ops.batchNorm(x, null, null, null, null, false, 0.1, EPS),
                "batch_norm", "evaluation mode", "runningMean null");
        assertMessage(() -> Ops.batchNorm(rand(52, 0, 1, 1, 3), null, null, null, null, true, 0.1, EPS),
                "batch_norm", "1 value(s) per channel", "f64[1, 3]");
        assertMessage(() -> Ops.batchNorm(rand(53, 0, 1, 3), null, null, null, null, true, 0.1, EPS), "batch_norm", "at least 2-D", "f64[3]");
        assertMessage(() -> Ops.batchNorm(x, null, null, null, null, true, 0.1, -1), "batch_norm", "eps -1.0");
        assertMessage(() -> Ops.layerNorm(x, 4, null, null, EPS), "layer_norm", "normalizedDims 4", "1..3");
        assertMessage(() -> Ops.layerNorm(x, 2, rand(54, 0, 1, 2, 3), null, EPS),
                "layer_norm", "gamma shaped like the last 2 dim(s)", "f64[2, 3]", "f64[2, 3, 2]");
        assertMessage(() -> Ops.layerNorm(x, 1, null, arena.zeros(DType.F32, 2), EPS), "layer_norm", "f32", "f64");
    }
}
