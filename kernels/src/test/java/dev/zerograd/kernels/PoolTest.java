package dev.zerograd.kernels;

import static dev.zerograd.kernels.SpatialTestSupport.assertClose;
import static dev.zerograd.kernels.SpatialTestSupport.assertMessage;
import static dev.zerograd.kernels.SpatialTestSupport.make;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zerograd.kernels.SpatialTestSupport.Layout;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PoolTest {
    private final TensorArena arena = TensorArena.ofConfined(32 << 20);

    @AfterEach
    void close() {
        SpatialRows.simd = true;
        arena.close();
    }

    /** N, C, H, W, kH, kW, sH, sW, pH, pW, dH, dW. */
    private static final int[][] CASES = {
            {2, 3, 8, 8, 2, 2, 2, 2, 0, 0, 1, 1},    // the usual 2x2 / 2
            {1, 2, 7, 9, 3, 3, 2, 2, 1, 1, 1, 1},    // padded, odd sizes
            {2, 2, 9, 8, 3, 2, 1, 2, 1, 1, 2, 1},    // non-square, dilation 2 on H
            {1, 1, 5, 5, 5, 5, 1, 1, 2, 2, 1, 1},    // global window with padding
            {3, 2, 6, 7, 1, 1, 2, 3, 0, 0, 1, 1},    // 1x1 subsampling
            {2, 3, 7, 9, 2, 2, 2, 2, 0, 0, 1, 1},    // 2x2 / 2 on odd sizes (the last row and column dropped)
            {1, 2, 9, 9, 2, 2, 1, 1, 0, 0, 2, 2},    // 2x2, overlapping, dilated, unpadded
            {2, 2, 8, 7, 3, 2, 2, 1, 0, 0, 1, 1},    // unpadded non-square window
            {2, 3, 16, 20, 2, 2, 2, 2, 0, 0, 1, 1},  // 2x2 / 2 with Wo >= 8: the F32 vector loop, a row tail
            {1, 2, 5, 35, 2, 2, 2, 2, 0, 0, 1, 1},   // the vector loop on odd sizes: Wo = 17
            {3, 5, 14, 14, 2, 2, 2, 2, 0, 0, 1, 1},  // Wo = 7 < 8: the masked short-row vector loop (the CNN's second pooling)
            {2, 3, 9, 11, 2, 2, 2, 2, 0, 0, 1, 1},   // Wo = 5, an odd W whose last column is dropped
            {1, 2, 6, 8, 2, 2, 2, 2, 0, 0, 1, 1},    // Wo = 4: the shortest masked row on AVX2
            {2, 2, 6, 6, 2, 2, 2, 2, 0, 0, 1, 1},    // Wo = 3: the 2x2 loop again
    };

    private static int out(int in, int k, int s, int p, int d) {
        return (in + 2 * p - d * (k - 1) - 1) / s + 1;
    }

    @Test
    void maxPoolAndItsGradientMatchNaiveLoops() {
        Random rnd = new Random(1);
        for (DType dt : SpatialTestSupport.FLOATS) {
            for (int[] c : CASES) {
                for (Layout layout : Layout.values()) {
                    arena.reset();
                    int n = c[0], ch = c[1], h = c[2], w = c[3], kh = c[4], kw = c[5], sh = c[6], sw = c[7], ph = c[8], pw = c[9],
                            dh = c[10], dw = c[11];
                    int ho = out(h, kh, sh, ph, dh), wo = out(w, kw, sw, pw, dw);
                    Tensor x = make(arena, dt, layout, new long[] {n, ch, h, w}, rnd);
                    // Ties: quantise so equal values occur and the first-maximum rule is exercised.
                    for (long i = 0; i < x.numel(); i++) {
                        x.setDoubleFlat(i, Math.round(x.getDoubleFlat(i) * 2) / 2.0);
                    }
                    Tensor y = make(arena, dt, layout, new long[] {n, ch, ho, wo}, rnd);
                    Tensor idx = arena.empty(DType.I64, n, ch, ho, wo);
                    Pool.maxPool2d(x, kh, kw, sh, sw, ph, pw, dh, dw, y, idx);
                    double[] xv = x.toDoubleArray();
                    double[] yRef = new double[n * ch * ho * wo];
                    long[] iRef = new long[yRef.length];
                    for (int p = 0; p < n * ch; p++) {
                        for (int oh = 0; oh < ho; oh++) {
                            for (int ow = 0; ow < wo; ow++) {
                                double best = Double.NEGATIVE_INFINITY;
                                for (int ki = 0; ki < kh; ki++) {
                                    for (int kj = 0; kj < kw; kj++) {
                                        int ih = oh * sh - ph + ki * dh, iw = ow * sw - pw + kj * dw;
                                        if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                            best = Math.max(best, xv[(p * h + ih) * w + iw]);
                                        }
                                    }
                                }
                                int o = (p * ho + oh) * wo + ow;
                                yRef[o] = best;
                                iRef[o] = firstMax(xv, p, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw);
                            }
                        }
                    }
                    String what = dt + " " + java.util.Arrays.toString(c) + " " + layout;
                    assertClose(what + " y", yRef, y.toDoubleArray(), 0);
                    for (int o = 0; o < iRef.length; o++) {
                        assertEquals(iRef[o], (long) idx.getDoubleFlat(o), what + " index " + o);
                    }
                    Tensor gy = make(arena, dt, layout, new long[] {n, ch, ho, wo}, rnd);
                    Tensor dx = make(arena, dt, layout, new long[] {n, ch, h, w}, rnd);
                    Pool.maxPool2dBackward(gy, idx, dx);
                    double[] gv = gy.toDoubleArray(), dxRef = new double[xv.length];
                    for (int o = 0; o < iRef.length; o++) {
                        dxRef[(o / (ho * wo)) * h * w + (int) iRef[o]] += gv[o];
                    }
                    assertClose(what + " dx", dxRef, dx.toDoubleArray(), SpatialTestSupport.tol(dt));
                }
            }
        }
    }

    private static long firstMax(double[] xv, int p, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw,
                                 int dh, int dw) {
        double best = Double.NEGATIVE_INFINITY;
        long arg = -1;
        for (int ki = 0; ki < kh; ki++) {
            for (int kj = 0; kj < kw; kj++) {
                int ih = oh * sh - ph + ki * dh, iw = ow * sw - pw + kj * dw;
                if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                    double v = xv[(p * h + ih) * w + iw];
                    if (arg < 0 || v > best) {
                        arg = ih * w + iw;
                        best = v;
                    }
                }
            }
        }
        return arg;
    }

    @Test
    void maxPoolPropagatesNaNAndReportsItsIndex() {
        Tensor x = arena.fromArray(new double[] {1, 5, Double.NaN, 2, 3, 4, 9, 8, 0}, 1, 1, 3, 3);
        Tensor y = arena.empty(DType.F64, 1, 1, 1, 1), idx = arena.empty(DType.I64, 1, 1, 1, 1);
        Pool.maxPool2d(x, 3, 3, 1, 1, 0, 0, 1, 1, y, idx);
        assertEquals(Double.NaN, y.getDoubleFlat(0));
        assertEquals(2, (long) idx.getDoubleFlat(0));
    }

    @Test
    void unpadded2x2WindowsTakeTheFirstMaximumOrTheLastNaNInBothDtypes() {
        float nan = Float.NaN;
        float[] v = {1, nan, nan, 1, 3, 3, -1, -2, nan, 2, 0, 0, 2, 3, -3, -1};
        for (DType dt : SpatialTestSupport.FLOATS) {
            arena.reset();
            Tensor x = arena.empty(dt, 1, 1, 2, 8);
            for (int i = 0; i < v.length; i++) {
                x.setDoubleFlat(i, v[i]);
            }
            Tensor y = arena.empty(dt, 1, 1, 1, 4), idx = arena.empty(DType.I64, 1, 1, 1, 4);
            Pool.maxPool2d(x, 2, 2, 2, 2, 0, 0, 1, 1, y, idx);
            assertEquals(Double.NaN, y.getDoubleFlat(0), dt + " window 0");
            assertEquals(Double.NaN, y.getDoubleFlat(1), dt + " window 1");
            assertEquals(3, y.getDoubleFlat(2), dt + " window 2");
            assertEquals(-1, y.getDoubleFlat(3), dt + " window 3");
            long[] expected = {8, 2, 4, 6};
            for (int o = 0; o < 4; o++) {
                assertEquals(expected[o], (long) idx.getDoubleFlat(o), dt + " index of window " + o);
            }
        }
    }

    @Test
    void avgPoolAndItsGradientMatchNaiveLoops() {
        Random rnd = new Random(2);
        for (DType dt : SpatialTestSupport.FLOATS) {
            for (int[] c : CASES) {
                if (c[10] != 1 || c[11] != 1) {
                    continue; // avg_pool2d has no dilation
                }
                for (boolean include : new boolean[] {true, false}) {
                    arena.reset();
                    int n = c[0], ch = c[1], h = c[2], w = c[3], kh = c[4], kw = c[5], sh = c[6], sw = c[7], ph = c[8], pw = c[9];
                    int ho = out(h, kh, sh, ph, 1), wo = out(w, kw, sw, pw, 1);
                    Tensor x = make(arena, dt, Layout.CHANNELS_LAST, new long[] {n, ch, h, w}, rnd);
                    Tensor y = arena.empty(dt, n, ch, ho, wo);
                    Pool.avgPool2d(x, kh, kw, sh, sw, ph, pw, include, y);
                    Tensor gy = make(arena, dt, Layout.STRIDED, new long[] {n, ch, ho, wo}, rnd);
                    Tensor dx = arena.full(dt, 9, n, ch, h, w);
                    Pool.avgPool2dBackward(gy, kh, kw, sh, sw, ph, pw, include, dx);
                    double[] xv = x.toDoubleArray(), gv = gy.toDoubleArray();
                    double[] yRef = new double[n * ch * ho * wo], dxRef = new double[xv.length];
                    for (int p = 0; p < n * ch; p++) {
                        for (int oh = 0; oh < ho; oh++) {
                            for (int ow = 0; ow < wo; ow++) {
                                double s = 0;
                                int inside = 0, all = 0;
                                for (int ki = 0; ki < kh; ki++) {
                                    for (int kj = 0; kj < kw; kj++) {
                                        int ih = oh * sh - ph + ki, iw = ow * sw - pw + kj;
                                        // PyTorch counts padding positions but not positions beyond it.
                                        if (ih < h + ph && iw < w + pw) {
                                            all++;
                                        }
                                        if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                            s += xv[(p * h + ih) * w + iw];
                                            inside++;
                                        }
                                    }
                                }
                                int o = (p * ho + oh) * wo + ow;
                                double div = include ? all : inside;
                                yRef[o] = s / div;
                                for (int ki = 0; ki < kh; ki++) {
                                    for (int kj = 0; kj < kw; kj++) {
                                        int ih = oh * sh - ph + ki, iw = ow * sw - pw + kj;
                                        if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                            dxRef[(p * h + ih) * w + iw] += gv[o] / div;
                                        }
                                    }
                                }
                            }
                        }
                    }
                    String what = dt + " " + java.util.Arrays.toString(c) + " include " + include;
                    assertClose(what + " y", yRef, y.toDoubleArray(), SpatialTestSupport.tol(dt));
                    assertClose(what + " dx", dxRef, dx.toDoubleArray(), SpatialTestSupport.tol(dt));
                }
            }
        }
    }

    @Test
    void globalAveragePoolAndItsGradient() {
        Random rnd = new Random(3);
        for (DType dt : SpatialTestSupport.FLOATS) {
            for (Layout layout : Layout.values()) {
                for (boolean simd : new boolean[] {true, false}) {
                    SpatialRows.simd = simd;
                    arena.reset();
                    Tensor x = make(arena, dt, layout, new long[] {3, 4, 5, 7}, rnd);
                    Tensor y = arena.empty(dt, 3, 4, 1, 1);
                    Pool.adaptiveAvgPool1x1(x, y);
                    Tensor gy = make(arena, dt, rnd, 3, 4, 1, 1), dx = arena.empty(dt, 3, 4, 5, 7);
                    Pool.adaptiveAvgPool1x1Backward(gy, dx);
                    double[] xv = x.toDoubleArray(), yRef = new double[12], dxRef = new double[xv.length];
                    for (int i = 0; i < xv.length; i++) {
                        yRef[i / 35] += xv[i] / 35;
                        dxRef[i] = gy.getDoubleFlat(i / 35) / 35;
                    }
                    assertClose(dt + " " + layout + " y", yRef, y.toDoubleArray(), SpatialTestSupport.tol(dt));
                    assertClose(dt + " " + layout + " dx", dxRef, dx.toDoubleArray(), SpatialTestSupport.tol(dt));
                }
            }
        }
    }

    /** The rule of the test above on windows wide enough for the F32 vector loop (Note [Vector 2x2 pooling]), and its scalar loop. */
    @Test
    void vector2x2WindowsTakeTheFirstMaximumOrTheLastNaN() {
        float nan = Float.NaN;
        float[] top = {1, nan, nan, 1, 3, 3, -1, -2}, bottom = {nan, 2, 0, 0, 2, 3, -3, -1};
        double[] values = {Double.NaN, Double.NaN, 3, -1};
        for (int windows : new int[] {36, 7, 5}) { // 7 and 5: the masked short rows
            int w = 2 * windows;
            Tensor x = arena.empty(DType.F32, 1, 1, 2, w);
            for (int j = 0; j < w; j++) {
                x.setDoubleFlat(j, top[j % 8]);
                x.setDoubleFlat(w + j, bottom[j % 8]);
            }
            for (boolean simd : new boolean[] {true, false}) {
                SpatialRows.simd = simd;
                Tensor y = arena.empty(DType.F32, 1, 1, 1, windows), idx = arena.empty(DType.I64, 1, 1, 1, windows);
                Pool.maxPool2d(x, 2, 2, 2, 2, 0, 0, 1, 1, y, idx);
                for (int o = 0; o < windows; o++) {
                    long off = o % 4 == 0 ? w : 0; // the last NaN below, else the first element
                    assertEquals(values[o % 4], y.getDoubleFlat(o), "simd " + simd + " window " + o + " of " + windows);
                    assertEquals(2L * o + off, (long) idx.getDoubleFlat(o), "simd " + simd + " index of window " + o + " of " + windows);
                }
            }
        }
    }

    /**
     * The max-pool backward on planes tiled by 2 x 2 cells, with indices in their own cells, one in another cell,
     * or two outputs naming the same element: all match the scatter-add definition (zero, then add), so a -0.0
     * gradient lands as +0.0 and a NaN gradient stays NaN.
     */
    @Test
    void twoByTwoBackwardMatchesTheScatterAdd() {
        long n = 2, c = 3, ho = 5, wo = 6, h = 2 * ho, w = 2 * wo;
        Random rnd = new Random(9);
        for (int variant = 0; variant < 3; variant++) {
            arena.reset();
            long[] index = new long[(int) (n * c * ho * wo)];
            double[] g = new double[index.length];
            for (int i = 0; i < index.length; i++) {
                long oh = (i / wo) % ho, ow = i % wo;
                index[i] = (2 * oh + rnd.nextInt(2)) * w + 2 * ow + rnd.nextInt(2);
                g[i] = rnd.nextInt(5) == 0 ? -0.0 : rnd.nextGaussian();
            }
            g[7] = Double.NaN;
            if (variant == 1) {
                index[(int) (ho * wo) + 4] = 0; // plane (0, 1): an index in another cell
            }
            if (variant == 2) {
                index[3] = index[4]; // plane (0, 0): two outputs name one element
            }
            Tensor gy = arena.fromArray(DType.F32, g, n, c, ho, wo);
            Tensor idx = arena.fromArray(index, n, c, ho, wo);
            Tensor dx = arena.empty(DType.F32, n, c, h, w);
            dx.fill(Double.NaN);
            Pool.maxPool2dBackward(gy, idx, dx);
            double[] want = new double[(int) (n * c * h * w)];
            double[] gv = gy.toDoubleArray();
            for (int i = 0; i < index.length; i++) {
                int plane = (int) (i / (ho * wo));
                int at = (int) (plane * h * w + index[i]);
                want[at] = (float) ((float) want[at] + (float) gv[i]);
            }
            double[] got = dx.toDoubleArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(Double.doubleToRawLongBits((float) want[i] + 0.0), Double.doubleToRawLongBits(got[i] + 0.0),
                        "variant " + variant + " element " + i + ": " + want[i] + " vs " + got[i]);
                if (!Double.isNaN(got[i])) {
                    assertEquals(Double.doubleToRawLongBits(want[i] + 0.0), Double.doubleToRawLongBits(got[i]),
                            "variant " + variant + " element " + i + ": sign of zero");
                }
            }
        }
    }

    @Test
    void largeInputsRunOnThePoolWithTheSameResults() {
        Random rnd = new Random(4);
        Tensor x = make(arena, DType.F32, rnd, 16, 32, 28, 28);
        Tensor y = arena.empty(DType.F32, 16, 32, 14, 14), idx = arena.empty(DType.I64, 16, 32, 14, 14);
        Pool.maxPool2d(x, 2, 2, 2, 2, 0, 0, 1, 1, y, idx);
        Tensor y1 = arena.empty(DType.F32, 16, 32, 14, 14);
        int threads = Parallel.threads();
        Parallel.setThreads(1);
        try {
            Pool.maxPool2d(x, 2, 2, 2, 2, 0, 0, 1, 1, y1, null);
        } finally {
            Parallel.setThreads(threads);
        }
        assertClose("threads", y1.toDoubleArray(), y.toDoubleArray(), 0);
    }

    @Test
    void badArgumentsAreRejected() {
        DType dt = DType.F32;
        Tensor x = arena.zeros(dt, 2, 3, 8, 8), y = arena.empty(dt, 2, 3, 4, 4), idx = arena.empty(DType.I64, 2, 3, 4, 4);
        assertMessage(() -> Pool.maxPool2d(x, 2, 2, 2, 2, 0, 0, 1, 1, arena.empty(dt, 2, 3, 4, 5), null), "Pool.maxPool2d",
                "y f32[2, 3, 4, 5]", "[2, 3, 4, 4]");
        assertMessage(() -> Pool.maxPool2d(x, 2, 2, 2, 2, 2, 0, 1, 1, y, null), "padding (2, 0)", "kernel / 2");
        assertMessage(() -> Pool.maxPool2d(x, 2, 2, 2, 2, 0, 0, 1, 1, y, arena.empty(DType.I32, 2, 3, 4, 4)), "indices i32",
                "expected i64");
        assertMessage(() -> Pool.maxPool2d(arena.zeros(dt, 3, 8, 8), 2, 2, 2, 2, 0, 0, 1, 1, y, null), "4-D");
        Tensor bad = arena.fromArray(new long[] {0, 1, 64, 2}, 1, 1, 2, 2);
        assertMessage(() -> Pool.maxPool2dBackward(arena.zeros(dt, 1, 1, 2, 2), bad, arena.empty(dt, 1, 1, 8, 8)),
                "Pool.maxPool2dBackward", "index 64", "64 elements");
        Tensor negative = arena.fromArray(new long[] {0, 1, -1, 2}, 1, 1, 2, 2);
        assertMessage(() -> Pool.maxPool2dBackward(arena.zeros(dt, 1, 1, 2, 2), negative, arena.empty(dt, 1, 1, 8, 8)),
                "Pool.maxPool2dBackward", "index -1", "64 elements");
        assertMessage(() -> Pool.avgPool2dBackward(arena.zeros(dt, 2, 3, 4, 5), 2, 2, 2, 2, 0, 0, true, x),
                "Pool.avgPool2dBackward", "gy f32[2, 3, 4, 5]");
        assertMessage(() -> Pool.adaptiveAvgPool1x1(x, arena.empty(DType.F64, 2, 3, 1, 1)), "y f64");
        assertMessage(() -> Pool.adaptiveAvgPool1x1(x, arena.empty(dt, 1, 3, 1, 1).expand(2, 3, 1, 1)), "Pool.adaptiveAvgPool1x1",
                "broadcast");
    }
}
