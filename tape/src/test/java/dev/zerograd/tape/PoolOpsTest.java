package dev.zerograd.tape;

import static dev.zerograd.tape.ConvOpsTest.SECOND;
import static dev.zerograd.tape.ConvOpsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.zerograd.kernels.Pool;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * max_pool2d, avg_pool2d (and their backward ops) and global average pooling: forward values against naive
 * loops, gradcheck in f64 with second order (with padding, stride, dilation), and argument errors.
 */
class PoolOpsTest {
    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("pool-ops-test", 16 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private Tensor rand(long seed, long... shape) {
        return GradCheck.uniform(arena, seed, -1, 1, shape);
    }

    /** Max (or mean) over each window, padding as -inf (or 0, counted when countIncludePad). */
    static double[] reference(Tensor x, boolean max, int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW,
                              boolean countIncludePad) {
        long n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        long ho = (h + 2 * pH - dH * (kH - 1) - 1) / sH + 1, wo = (w + 2 * pW - dW * (kW - 1) - 1) / sW + 1;
        double[] y = new double[(int) (n * c * ho * wo)];
        int k = 0;
        for (long a = 0; a < n; a++) {
            for (long b = 0; b < c; b++) {
                for (long i = 0; i < ho; i++) {
                    for (long j = 0; j < wo; j++) {
                        double best = Double.NEGATIVE_INFINITY;
                        double sum = 0;
                        int inside = 0;
                        for (int ki = 0; ki < kH; ki++) {
                            for (int kj = 0; kj < kW; kj++) {
                                long r = i * sH - pH + (long) ki * dH, q = j * sW - pW + (long) kj * dW;
                                if (r >= 0 && r < h && q >= 0 && q < w) {
                                    double v = x.getDouble(a, b, r, q);
                                    best = Math.max(best, v);
                                    sum += v;
                                    inside++;
                                }
                            }
                        }
                        y[k++] = max ? best : sum / (countIncludePad ? kH * kW : inside);
                    }
                }
            }
        }
        return y;
    }

    // ---------------------------------------------------------------- forward values

    @Test
    void maxPoolMatchesNaiveLoops() {
        int[][] configs = {
            // kH, kW, sH, sW, pH, pW, dH, dW
            {2, 2, 2, 2, 0, 0, 1, 1},
            {3, 3, 1, 1, 1, 1, 1, 1},
            {3, 2, 2, 1, 1, 1, 2, 1},
            {2, 3, 1, 2, 0, 1, 1, 2},
        };
        long seed = 1;
        for (int[] cf : configs) {
            Tensor x = rand(seed++, 2, 3, 7, 6);
            Tensor y = Ops.maxPool2d(x, cf[0], cf[1], cf[2], cf[3], cf[4], cf[5], cf[6], cf[7]);
            assertArrayEquals(reference(x, true, cf[0], cf[1], cf[2], cf[3], cf[4], cf[5], cf[6], cf[7], false), y.toDoubleArray(), 0,
                    () -> java.util.Arrays.toString(cf));
        }
        Tensor x = arena.randn(DType.F32, new long[] {2, 2, 6, 6}, 7);
        Tensor y = Ops.maxPool2d(x, 2, 2);
        assertArrayEquals(new long[] {2, 2, 3, 3}, y.shape());
        assertArrayEquals(reference(x, true, 2, 2, 2, 2, 0, 0, 1, 1, false), y.toDoubleArray(), 0);
    }

    @Test
    void avgPoolMatchesNaiveLoopsWithAndWithoutPaddingInTheCount() {
        long seed = 20;
        for (boolean include : new boolean[] {true, false}) {
            Tensor x = rand(seed++, 2, 3, 7, 6);
            Tensor y = Ops.avgPool2d(x, 3, 2, 2, 1, 1, 1, include);
            assertArrayEquals(reference(x, false, 3, 2, 2, 1, 1, 1, 1, 1, include), y.toDoubleArray(), 1e-12);
        }
        Tensor x = rand(seed, 1, 2, 4, 4);
        assertArrayEquals(reference(x, false, 2, 2, 2, 2, 0, 0, 1, 1, true), Ops.avgPool2d(x, 2, 2).toDoubleArray(), 1e-12);
    }

    @Test
    void globalAveragePoolIsThePlaneMean() {
        Tensor x = rand(30, 2, 3, 4, 5);
        Tensor y = Ops.adaptiveAvgPool2d1x1(x);
        assertArrayEquals(new long[] {2, 3, 1, 1}, y.shape());
        assertArrayEquals(reference(x, false, 4, 5, 1, 1, 0, 0, 1, 1, true), y.toDoubleArray(), 1e-12);
    }

    @Test
    void maxPoolGradientGoesToTheChosenElement() {
        Tensor x = arena.fromArray(new double[] {1, 5, 2, 0, 3, 4, 7, 6, 9, 8, 1, 2, 0, 3, 4, 5}, 1, 1, 4, 4).requiresGrad();
        try (TensorArena step = TensorArena.ofConfined("step", 1 << 20); GradientTape tape = GradientTape.record(step)) {
            tape.backward(Ops.sum(Ops.maxPool2d(x, 2, 2)));
        }
        assertArrayEquals(new double[] {0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1}, x.grad().toDoubleArray(), 0);
    }

    // ---------------------------------------------------------------- gradients (f64, second order)

    @Test
    void gradcheckMaxPoolWithPaddingStrideAndDilation() {
        // squared, so that the second-order check differentiates max_pool2d_backward's own rule (a gather)
        GradCheck.check("max_pool2d 3x3, stride 2, padding 1, squared", SECOND,
                in -> Ops.square(Ops.maxPool2d(in[0], 3, 3, 2, 2, 1, 1, 1, 1)), rand(40, 1, 2, 5, 5).requiresGrad());
        GradCheck.check("max_pool2d 2x3, stride (1, 2), padding (1, 1), dilation (2, 1)", SECOND,
                in -> Ops.maxPool2d(in[0], 2, 3, 1, 2, 1, 1, 2, 1), rand(41, 2, 1, 4, 5).requiresGrad());
    }

    @Test
    void gradcheckAvgPoolWithPadding() {
        GradCheck.check("avg_pool2d 3x3, stride 2, padding 1, count_include_pad, squared", SECOND,
                in -> Ops.square(Ops.avgPool2d(in[0], 3, 3, 2, 2, 1, 1, true)), rand(42, 1, 2, 5, 5).requiresGrad());
        GradCheck.check("avg_pool2d 2x3, stride (2, 1), padding (1, 1), without the padding in the count, squared", SECOND,
                in -> Ops.square(Ops.avgPool2d(in[0], 2, 3, 2, 1, 1, 1, false)), rand(43, 1, 2, 4, 4).requiresGrad());
    }

    @Test
    void gradcheckTheBackwardOpsAndGlobalPooling() {
        Tensor x = rand(44, 1, 2, 5, 4);
        // the positions of a 2x2 window, stride (2, 1), padding (1, 0) over 5x4 planes, as max_pool2d saves them
        Tensor idx = arena.empty(DType.I64, 1, 2, 3, 3);
        Pool.maxPool2d(x, 2, 2, 2, 1, 1, 0, 1, 1, arena.empty(DType.F64, 1, 2, 3, 3), idx);
        GradCheck.check("max_pool2d_backward, squared", SECOND,
                in -> Ops.square(PoolOps.maxPool2dBackward(in[0], idx, 5, 4)), rand(45, 1, 2, 3, 3).requiresGrad());
        GradCheck.check("avg_pool2d_backward 3x2, stride 2, padding 1, squared", SECOND,
                in -> Ops.square(PoolOps.avgPool2dBackward(in[0], 5, 4, 3, 2, 2, 2, 1, 1, false)), rand(46, 1, 2, 3, 3).requiresGrad());
        GradCheck.check("adaptive_avg_pool2d_1x1, squared", SECOND,
                in -> Ops.square(Ops.adaptiveAvgPool2d1x1(in[0])), rand(47, 2, 2, 3, 2).requiresGrad());
    }

    // ---------------------------------------------------------------- errors

    @Test
    void errorsNameTheOpTheShapesAndWhatWasExpected() {
        Tensor x = rand(50, 1, 2, 3, 3);
        assertMessage(() -> Ops.maxPool2d(x, 4, 1), "max_pool2d", "window height 4", "padded input height 3", "f64[1, 2, 3, 3]");
        assertMessage(() -> Ops.maxPool2d(x, 2, 2, 1, 1, 0, 0, 1, 3), "max_pool2d", "window width 2 (dilation 3: extent 4)");
        assertMessage(() -> Ops.maxPool2d(x, 2, 2, 1, 1, 2, 0, 1, 1), "max_pool2d", "padding (2, 0) exceeds half the kernel (2, 2)");
        assertMessage(() -> Ops.avgPool2d(x, 2, 0), "avg_pool2d", "stride (0, 0)");
        assertMessage(() -> Ops.avgPool2d(rand(51, 2, 3, 3), 2, 1), "avg_pool2d", "(4-D)", "f64[2, 3, 3]");
        assertMessage(() -> Ops.adaptiveAvgPool2d1x1(rand(52, 3, 3)), "adaptive_avg_pool2d_1x1", "(4-D)", "f64[3, 3]");
        assertMessage(() -> Ops.maxPool2d(arena.empty(DType.I64, 1, 1, 2, 2), 2, 2), "max_pool2d", "floating-point", "i64");
    }
}
