package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * conv2d and its two transposes (Note [Convolution transposes] in ConvOps): forward values against a naive
 * double loop, gradcheck in f64 with second order for every hyper-parameter (stride, padding, dilation,
 * groups, bias), and the argument errors.
 */
class ConvOpsTest {
    static final GradCheck.Options SECOND = GradCheck.Options.defaults().withSecondOrder(true);

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("conv-ops-test", 16 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private Tensor rand(long seed, long... shape) {
        return GradCheck.uniform(arena, seed, -1, 1, shape);
    }

    static void assertMessage(Executable e, String... parts) {
        Throwable t = assertThrows(IllegalArgumentException.class, e);
        for (String p : parts) {
            assertTrue(t.getMessage().contains(p), () -> "expected '" + p + "' in: " + t.getMessage());
        }
    }

    /** y[n, o, i, j] = b[o] + sum w[o, c, ki, kj] x[n, g Cg + c, i sH - pH + ki dH, j sW - pW + kj dW], in double. */
    static double[] reference(Tensor x, Tensor w, Tensor b, int sH, int sW, int pH, int pW, int dH, int dW, int groups) {
        long n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
        long cout = w.size(0), cg = cin / groups, og = cout / groups, kh = w.size(2), kw = w.size(3);
        long ho = (h + 2 * pH - dH * (kh - 1) - 1) / sH + 1, wo = (wd + 2 * pW - dW * (kw - 1) - 1) / sW + 1;
        double[] y = new double[(int) (n * cout * ho * wo)];
        int k = 0;
        for (long in = 0; in < n; in++) {
            for (long o = 0; o < cout; o++) {
                long g = o / og;
                for (long i = 0; i < ho; i++) {
                    for (long j = 0; j < wo; j++) {
                        double s = b == null ? 0 : b.getDouble(o);
                        for (long c = 0; c < cg; c++) {
                            for (long ki = 0; ki < kh; ki++) {
                                for (long kj = 0; kj < kw; kj++) {
                                    long r = i * sH - pH + ki * dH, q = j * sW - pW + kj * dW;
                                    if (r >= 0 && r < h && q >= 0 && q < wd) {
                                        s += w.getDouble(o, c, ki, kj) * x.getDouble(in, g * cg + c, r, q);
                                    }
                                }
                            }
                        }
                        y[k++] = s;
                    }
                }
            }
        }
        return y;
    }

    // ---------------------------------------------------------------- forward values

    @Test
    void forwardMatchesNaiveLoopsForEveryHyperParameter() {
        int[][] configs = {
            // sH, sW, pH, pW, dH, dW, groups
            {1, 1, 0, 0, 1, 1, 1},
            {2, 1, 1, 0, 1, 1, 1},
            {1, 2, 1, 2, 2, 1, 1},
            {2, 2, 1, 1, 1, 2, 2},
            {1, 1, 0, 0, 1, 1, 4},
        };
        long seed = 1;
        for (int[] cf : configs) {
            for (boolean bias : new boolean[] {false, true}) {
                Tensor x = rand(seed++, 2, 4, 7, 6);
                Tensor w = rand(seed++, 4, 4 / cf[6], 3, 2);
                Tensor b = bias ? rand(seed++, 4) : null;
                Tensor y = Ops.conv2d(x, w, b, cf[0], cf[1], cf[2], cf[3], cf[4], cf[5], cf[6]);
                assertArrayEquals(reference(x, w, b, cf[0], cf[1], cf[2], cf[3], cf[4], cf[5], cf[6]), y.toDoubleArray(), 1e-12,
                        () -> "config " + java.util.Arrays.toString(cf) + " bias " + bias);
            }
        }
    }

    @Test
    void shortFormUsesOneStrideAndPaddingAndWorksInF32OnViews() {
        Tensor x = arena.randn(DType.F32, new long[] {2, 3, 6, 5}, 3);
        Tensor base = arena.randn(DType.F32, new long[] {3, 4, 3, 3}, 4);
        Tensor w = base.transpose(0, 1); // [4, 3, 3, 3], not contiguous
        Tensor b = arena.randn(DType.F32, new long[] {4}, 5);
        Tensor y = Ops.conv2d(x, w, b, 2, 1);
        assertArrayEquals(new long[] {2, 4, 3, 3}, y.shape());
        double[] ref = reference(x, w, b, 2, 2, 1, 1, 1, 1, 1);
        double[] got = y.toDoubleArray();
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i], got[i], 1e-4);
        }
    }

    @Test
    void transposesAreAdjointsOfTheConvolution() {
        // <B(gy, w), v> = <gy, conv(v, w)> and <W(gy, x), v> = <gy, conv(x, v)>, with stride 2 and an input size
        // (8) that the output size does not determine.
        Tensor x = rand(10, 2, 4, 8, 7);
        Tensor w = rand(11, 6, 2, 3, 3);
        Tensor y = Ops.conv2d(x, w, null, 2, 2, 1, 0, 1, 1, 2);
        Tensor gy = rand(12, y.shape());
        Tensor v = rand(13, x.shape());
        Tensor u = rand(14, w.shape());
        double lhs = dot(ConvOps.conv2dBackwardInput(gy, w, 8, 7, 2, 2, 1, 0, 1, 1, 2), v);
        double rhs = dot(gy, Ops.conv2d(v, w, null, 2, 2, 1, 0, 1, 1, 2));
        assertEquals(rhs, lhs, 1e-10);
        lhs = dot(ConvOps.conv2dBackwardWeight(gy, x, 3, 3, 2, 2, 1, 0, 1, 1, 2), u);
        rhs = dot(gy, Ops.conv2d(x, u, null, 2, 2, 1, 0, 1, 1, 2));
        assertEquals(rhs, lhs, 1e-10);
    }

    private static double dot(Tensor a, Tensor b) {
        double s = 0;
        double[] av = a.toDoubleArray();
        double[] bv = b.toDoubleArray();
        for (int i = 0; i < av.length; i++) {
            s += av[i] * bv[i];
        }
        return s;
    }

    @Test
    void workspaceIsFreedAgainInAConfinedArena() {
        Tensor x = rand(20, 2, 3, 6, 6);
        Tensor w = rand(21, 4, 3, 3, 3);
        long before = arena.bytesInUse();
        try (Tape.Guard g = Tape.allocateIn(arena)) {
            Tensor y = Ops.conv2d(x, w, null, 1, 1);
            assertEquals(before + y.byteSize(), arena.bytesInUse(), 64, "only the result stays allocated");
        }
    }

    // ---------------------------------------------------------------- gradients (f64, second order)

    @Test
    void gradcheckWithBiasStridePaddingDilationAndGroups() {
        GradCheck.check("conv2d stride (2, 1), padding (1, 2), dilation (1, 2), groups 2, bias", SECOND,
                in -> Ops.conv2d(in[0], in[1], in[2], 2, 1, 1, 2, 1, 2, 2),
                rand(30, 1, 4, 5, 4).requiresGrad(), rand(31, 2, 2, 2, 2).requiresGrad(), rand(32, 2).requiresGrad());
    }

    @Test
    void gradcheckWithoutBias() {
        GradCheck.check("conv2d 3x3, padding 1, no bias", SECOND, in -> Ops.conv2d(in[0], in[1], null, 1, 1),
                rand(33, 1, 2, 4, 4).requiresGrad(), rand(34, 2, 2, 3, 3).requiresGrad());
    }

    @Test
    void gradcheckOfOneInputAtATimeSquared() {
        // The result squared makes the second-order check differentiate the transposes' own rules.
        Tensor x = rand(35, 1, 2, 5, 5);
        Tensor w = rand(36, 3, 2, 2, 3);
        GradCheck.check("conv2d squared, x only, stride 2, dilation (2, 1)", SECOND,
                in -> Ops.square(Ops.conv2d(in[0], w, null, 2, 2, 1, 1, 2, 1, 1)), x.requiresGrad());
        Tensor x2 = rand(37, 1, 2, 5, 5);
        GradCheck.check("conv2d squared, w and bias only", SECOND,
                in -> Ops.square(Ops.conv2d(x2, in[0], in[1], 1, 2, 0, 1, 1, 1, 1)), w.requiresGrad(), rand(38, 3).requiresGrad());
    }

    @Test
    void gradcheckOfTheTransposes() {
        GradCheck.check("conv2d_backward_input (gy, w), stride 2, input 6x5", SECOND,
                in -> Ops.square(ConvOps.conv2dBackwardInput(in[0], in[1], 6, 5, 2, 2, 1, 0, 1, 1, 1)),
                rand(40, 1, 2, 3, 2).requiresGrad(), rand(41, 2, 2, 3, 3).requiresGrad());
        GradCheck.check("conv2d_backward_weight (gy, x), groups 2, dilation 2", SECOND,
                in -> Ops.square(ConvOps.conv2dBackwardWeight(in[0], in[1], 2, 2, 1, 1, 1, 1, 2, 2, 2)),
                rand(42, 1, 2, 3, 3).requiresGrad(), rand(43, 1, 4, 3, 3).requiresGrad());
    }

    // ---------------------------------------------------------------- errors

    @Test
    void errorsNameTheOpTheShapesAndWhatWasExpected() {
        Tensor x = rand(50, 1, 4, 5, 5);
        assertMessage(() -> Ops.conv2d(x, rand(51, 2, 3, 3, 3), null, 1, 0),
                "conv2d", "4 input channels", "expects 3", "f64[1, 4, 5, 5]", "f64[2, 3, 3, 3]");
        assertMessage(() -> Ops.conv2d(x, rand(52, 3, 1, 3, 3), null, 1, 1, 0, 0, 1, 1, 3),
                "conv2d", "groups 3 does not divide the 4 input channels", "f64[1, 4, 5, 5]");
        assertMessage(() -> Ops.conv2d(x, rand(53, 3, 2, 3, 3), null, 1, 1, 0, 0, 1, 1, 2),
                "conv2d", "groups 2 does not divide the 3 output channels", "f64[3, 2, 3, 3]");
        assertMessage(() -> Ops.conv2d(x, rand(54, 2, 4, 7, 3), null, 1, 0),
                "conv2d", "kernel height 7", "larger than the padded input height 5", "f64[1, 4, 5, 5]");
        assertMessage(() -> Ops.conv2d(x, rand(55, 2, 4, 3, 3), null, 1, 1, 0, 0, 1, 3, 1),
                "conv2d", "kernel width 3 (dilation 3: extent 7)", "padded input width 5");
        assertMessage(() -> Ops.conv2d(rand(56, 4, 5, 5), rand(57, 2, 4, 3, 3), null, 1, 0),
                "conv2d", "[N, Cin, H, W] (4-D)", "f64[4, 5, 5]");
        assertMessage(() -> Ops.conv2d(x, rand(58, 2, 4, 3), null, 1, 0), "conv2d", "(4-D)", "f64[2, 4, 3]");
        assertMessage(() -> Ops.conv2d(x, rand(59, 2, 4, 3, 3), rand(60, 3), 1, 0), "conv2d", "bias of shape [2]", "f64[3]");
        assertMessage(() -> Ops.conv2d(x, rand(61, 2, 4, 3, 3), null, 0, 0), "conv2d", "stride (0, 0)", "strides");
        assertMessage(() -> Ops.conv2d(x, arena.randn(DType.F32, new long[] {2, 4, 3, 3}, 1), null, 1, 0), "conv2d", "f32", "f64");
    }
}
