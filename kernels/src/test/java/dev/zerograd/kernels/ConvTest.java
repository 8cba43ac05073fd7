package dev.zerograd.kernels;

import static dev.zerograd.kernels.SpatialTestSupport.assertClose;
import static dev.zerograd.kernels.SpatialTestSupport.assertMessage;
import static dev.zerograd.kernels.SpatialTestSupport.make;
import static dev.zerograd.kernels.SpatialTestSupport.tol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.kernels.SpatialTestSupport.Layout;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConvTest {
    private final TensorArena arena = TensorArena.ofConfined(64 << 20);

    @AfterEach
    void close() {
        SpatialRows.simd = true;
        arena.close();
    }

    /** N, Cin, H, W, Cout, kH, kW, sH, sW, pH, pW, dH, dW, groups. */
    private static final int[][] CASES = {
            {2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},     // "same" 3x3: the block path of im2col/col2im
            {1, 4, 9, 8, 6, 3, 2, 2, 1, 1, 0, 1, 2, 2},     // non-square kernel, stride 2, dilation 2 on W, 2 groups
            {3, 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4},     // depthwise (groups == Cin)
            {3, 4, 6, 5, 8, 3, 3, 1, 1, 1, 1, 1, 1, 4},     // depthwise with multiplier 2
            {2, 5, 5, 4, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1},     // 1x1: x is the matrix, no columns
            {2, 3, 5, 5, 2, 1, 1, 2, 2, 0, 0, 1, 1, 1},     // 1x1 with stride 2: columns again
            {2, 2, 8, 9, 3, 2, 3, 3, 2, 0, 2, 1, 1, 1},     // strides 3 and 2, padding 2 on W only
            {1, 6, 10, 10, 6, 3, 3, 2, 2, 2, 2, 2, 2, 3},   // dilation 2, stride 2, 3 groups
            {2, 2, 5, 5, 2, 5, 5, 1, 1, 0, 0, 1, 1, 1},     // kernel as large as the image: 1x1 output
            {1, 2, 4, 4, 3, 3, 3, 1, 1, 3, 3, 1, 1, 1},     // padding as large as the kernel: rows of pure padding
            {4, 1, 12, 12, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // the Fashion-MNIST first layer, smaller
            // "Same" stride 1 (the masked F32 col2im, Note [Masked block rows] in Im2Col): rows of 14 (a
            // vector and a tail), dilation 2, a 5x3 kernel, rows narrower than a vector, batch 1.
            {3, 5, 14, 14, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // the Fashion-MNIST second layer, fewer channels
            {1, 3, 11, 13, 5, 3, 3, 1, 1, 2, 2, 2, 2, 1},   // dilation 2, padding 2: still "same"
            {2, 3, 9, 17, 2, 5, 3, 1, 1, 2, 1, 1, 1, 1},    // 5x3 kernel
            {1, 2, 5, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},     // rows of 3: one vector spans rows
            // One input channel, stride 1: the direct F32 path (Note [Direct single-channel conv]) where Wo >= L.
            {1, 1, 9, 11, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},    // batch 1, odd sizes, a row tail
            {3, 1, 7, 21, 5, 3, 5, 1, 1, 0, 2, 1, 1, 1},    // 3x5 kernel, padding on W only
            {2, 1, 12, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},    // rows of exactly one AVX2 vector
            {5, 1, 6, 17, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1},    // 1x1: a minimal workspace holds 2 padded images
            {2, 1, 28, 28, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // the Fashion-MNIST first layer's image size
    };

    private record Geometry(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                            int groups) {
        static Geometry of(int[] c) {
            return new Geometry(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13]);
        }

        int ho() {
            return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        }

        int wo() {
            return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        }

        long[] xShape() {
            return new long[] {n, cin, h, w};
        }

        long[] wShape() {
            return new long[] {cout, cin / groups, kh, kw};
        }

        long[] yShape() {
            return new long[] {n, cout, ho(), wo()};
        }
    }

    // ---------------------------------------------------------------- direct references (double)

    /** Calls {@code f(n, o, oh, ow, ci, c, ki, kj, ih, iw)} for every product of the direct convolution. */
    private interface Visit {
        void at(int n, int o, int oh, int ow, int ci, int c, int ki, int kj, int ih, int iw);
    }

    private static void direct(Geometry g, Visit v) {
        int cg = g.cin / g.groups, og = g.cout / g.groups;
        for (int n = 0; n < g.n; n++) {
            for (int o = 0; o < g.cout; o++) {
                for (int oh = 0; oh < g.ho(); oh++) {
                    for (int ow = 0; ow < g.wo(); ow++) {
                        for (int c = 0; c < cg; c++) {
                            for (int ki = 0; ki < g.kh; ki++) {
                                for (int kj = 0; kj < g.kw; kj++) {
                                    int ih = oh * g.sh - g.ph + ki * g.dh, iw = ow * g.sw - g.pw + kj * g.dw;
                                    if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) {
                                        v.at(n, o, oh, ow, (o / og) * cg + c, c, ki, kj, ih, iw);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static int xi(Geometry g, int n, int c, int h, int w) {
        return ((n * g.cin + c) * g.h + h) * g.w + w;
    }

    private static int wi(Geometry g, int o, int c, int ki, int kj) {
        return ((o * (g.cin / g.groups) + c) * g.kh + ki) * g.kw + kj;
    }

    private static int yi(Geometry g, int n, int o, int oh, int ow) {
        return ((n * g.cout + o) * g.ho() + oh) * g.wo() + ow;
    }

    static double[] refForward(Geometry g, double[] x, double[] w, double[] bias) {
        double[] y = new double[g.n * g.cout * g.ho() * g.wo()];
        if (bias != null) {
            for (int i = 0; i < y.length; i++) {
                y[i] = bias[(i / (g.ho() * g.wo())) % g.cout];
            }
        }
        direct(g, (n, o, oh, ow, ci, c, ki, kj, ih, iw) -> y[yi(g, n, o, oh, ow)] += w[wi(g, o, c, ki, kj)] * x[xi(g, n, ci, ih, iw)]);
        return y;
    }

    static double[] refInputGrad(Geometry g, double[] gy, double[] w) {
        double[] dx = new double[g.n * g.cin * g.h * g.w];
        direct(g, (n, o, oh, ow, ci, c, ki, kj, ih, iw) -> dx[xi(g, n, ci, ih, iw)] += w[wi(g, o, c, ki, kj)] * gy[yi(g, n, o, oh, ow)]);
        return dx;
    }

    static double[] refWeightGrad(Geometry g, double[] gy, double[] x) {
        double[] dw = new double[g.cout * (g.cin / g.groups) * g.kh * g.kw];
        direct(g, (n, o, oh, ow, ci, c, ki, kj, ih, iw) -> dw[wi(g, o, c, ki, kj)] += gy[yi(g, n, o, oh, ow)] * x[xi(g, n, ci, ih, iw)]);
        return dw;
    }

    // ---------------------------------------------------------------- calls

    /** A NaN-filled workspace for one image (minimal) or for the whole batch in one chunk. */
    private Tensor workspace(DType dt, Tensor x, Tensor w, Geometry g, boolean minimal) {
        long full = Conv.workspaceElements(x, w, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups);
        long perImage = ((long) g.cin * g.kh * g.kw + g.cout) * g.ho() * g.wo();
        long weightStage = (long) g.cout * (g.cin / g.groups) * g.kh * g.kw;
        assertEquals(weightStage + perImage, full, "workspace rule");
        long batched = Conv.workspaceElements(x, w, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, g.n);
        assertEquals(weightStage + Math.max(1, g.n) * perImage, batched, "workspace rule for the whole batch");
        assertEquals(full, Conv.workspaceElementsWithin(x, w, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, 0),
                "a budget below one image still gives one image");
        assertEquals(batched, Conv.workspaceElementsWithin(x, w, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, Long.MAX_VALUE / 2),
                "a large budget gives the whole batch");
        if (g.n >= 3) {
            // Room for n - 1 images: the batch splits into two equal chunks of ceil(n / 2).
            long within = Conv.workspaceElementsWithin(x, w, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups,
                    weightStage + (g.n - 1) * perImage);
            assertEquals(weightStage + Math.ceilDiv(g.n, 2) * perImage, within, "a budget for n - 1 images");
        }
        Tensor ws = arena.empty(dt, minimal ? full : batched);
        ws.fill(Double.NaN); // scratch contents must not leak into results
        return ws;
    }

    private void forward(Geometry g, Tensor x, Tensor w, Tensor b, Tensor ws, Tensor y) {
        Conv.conv2d(x, w, b, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, y);
    }

    @Test
    void forwardMatchesDirectConvolution() {
        Random rnd = new Random(1);
        for (DType dt : SpatialTestSupport.FLOATS) {
            for (int[] c : CASES) {
                Geometry g = Geometry.of(c);
                for (Layout lx : Layout.values()) {
                    for (int variant = 0; variant < 2; variant++) {
                        arena.reset();
                        Tensor x = make(arena, dt, lx, g.xShape(), rnd);
                        Tensor w = variant == 0 ? make(arena, dt, rnd, g.wShape()) : make(arena, dt, Layout.CHANNELS_LAST, g.wShape(), rnd);
                        Tensor b = variant == 0 ? make(arena, dt, rnd, g.cout) : null;
                        Tensor ws = workspace(dt, x, w, g, variant == 1);
                        Tensor y = arena.empty(dt, g.yShape());
                        y.fill(Double.NaN);
                        forward(g, x, w, b, ws, y);
                        double[] expected = refForward(g, x.toDoubleArray(), w.toDoubleArray(), b == null ? null : b.toDoubleArray());
                        assertClose(dt + " " + g + " " + lx + " variant " + variant, expected, y.toDoubleArray(), tol(dt) * 5);
                    }
                }
            }
        }
    }

    @Test
    void backwardKernelsMatchTheirFormulas() {
        Random rnd = new Random(2);
        for (DType dt : SpatialTestSupport.FLOATS) {
            for (int[] c : CASES) {
                Geometry g = Geometry.of(c);
                for (int variant = 0; variant < 4; variant++) {
                    arena.reset();
                    Layout lx = Layout.values()[variant % 3];
                    Tensor x = make(arena, dt, lx, g.xShape(), rnd);
                    Tensor w = variant == 1 ? make(arena, dt, Layout.CHANNELS_LAST, g.wShape(), rnd) : make(arena, dt, rnd, g.wShape());
                    Tensor gy = switch (variant) {
                        case 1 -> make(arena, dt, Layout.CHANNELS_LAST, g.yShape(), rnd);
                        case 2 -> make(arena, dt, Layout.STRIDED, g.yShape(), rnd);
                        // Broadcast: one value per channel, stride 0 elsewhere (as the gradient of a sum might be).
                        case 3 -> make(arena, dt, rnd, 1, g.cout, 1, 1).expand(g.yShape());
                        default -> make(arena, dt, rnd, g.yShape());
                    };
                    Tensor ws = workspace(dt, x, w, g, variant % 2 == 1);
                    Tensor dx = arena.empty(dt, g.xShape()), dw = arena.empty(dt, g.wShape()), db = arena.empty(dt, g.cout);
                    dx.fill(Double.NaN);
                    dw.fill(Double.NaN);
                    Conv.conv2dBackwardInput(gy, w, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, dx);
                    Conv.conv2dBackwardWeight(gy, x, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, dw);
                    Conv.conv2dBackwardBias(gy, db);
                    double[] gyv = gy.toDoubleArray();
                    String what = dt + " " + g + " variant " + variant;
                    assertClose(what + " dx", refInputGrad(g, gyv, w.toDoubleArray()), dx.toDoubleArray(), tol(dt) * 5);
                    assertClose(what + " dw", refWeightGrad(g, gyv, x.toDoubleArray()), dw.toDoubleArray(), tol(dt) * 20);
                    double[] dbRef = new double[g.cout];
                    for (int i = 0; i < gyv.length; i++) {
                        dbRef[(i / (g.ho() * g.wo())) % g.cout] += gyv[i];
                    }
                    assertClose(what + " db", dbRef, db.toDoubleArray(), tol(dt));
                }
            }
        }
    }

    /** Central differences of L = sum(gy * conv2d(x, w) + b) in f64 against the three backward kernels. */
    @Test
    void backwardKernelsMatchFiniteDifferencesOfForward() {
        Random rnd = new Random(3);
        DType dt = DType.F64;
        for (int[] c : CASES) {
            Geometry g = Geometry.of(c);
            arena.reset();
            Tensor x = make(arena, dt, rnd, g.xShape()), w = make(arena, dt, rnd, g.wShape()), b = make(arena, dt, rnd, g.cout);
            Tensor gy = make(arena, dt, rnd, g.yShape());
            Tensor ws = workspace(dt, x, w, g, false);
            Tensor y = arena.empty(dt, g.yShape());
            Tensor dx = arena.empty(dt, g.xShape()), dw = arena.empty(dt, g.wShape()), db = arena.empty(dt, g.cout);
            Conv.conv2dBackwardInput(gy, w, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, dx);
            Conv.conv2dBackwardWeight(gy, x, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, dw);
            Conv.conv2dBackwardBias(gy, db);
            Tensor[] params = {x, w, b};
            Tensor[] grads = {dx, dw, db};
            for (int p = 0; p < 3; p++) {
                for (int trial = 0; trial < 6; trial++) {
                    long i = rnd.nextLong(params[p].numel());
                    double v = params[p].getDoubleFlat(i), h = 1e-5;
                    params[p].setDoubleFlat(i, v + h);
                    forward(g, x, w, b, ws, y);
                    double up = dot(gy, y);
                    params[p].setDoubleFlat(i, v - h);
                    forward(g, x, w, b, ws, y);
                    double down = dot(gy, y);
                    params[p].setDoubleFlat(i, v);
                    double numeric = (up - down) / (2 * h);
                    double analytic = grads[p].getDoubleFlat(i);
                    assertTrue(Math.abs(numeric - analytic) <= 1e-6 * Math.max(1, Math.abs(analytic)),
                            g + " param " + p + " element " + i + ": numeric " + numeric + ", analytic " + analytic);
                }
            }
        }
    }

    private static double dot(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }

    /**
     * The vector row loops (the masked F32 col2im blocks, Note [Masked block rows] in Im2Col) and their
     * scalar references agree bit for bit, in all three kernels; an infinite input next to the padding must
     * not leak into the zeroed columns.
     */
    @Test
    void scalarAndVectorRowLoopsAgree() {
        Random rnd = new Random(4);
        for (DType dt : SpatialTestSupport.FLOATS) {
            for (int ci : new int[] {0, 11, 12, 13, 14}) {
                Geometry g = Geometry.of(CASES[ci]);
                arena.reset();
                Tensor x = make(arena, dt, rnd, g.xShape()), w = make(arena, dt, rnd, g.wShape()), gy = make(arena, dt, rnd, g.yShape());
                x.setDoubleFlat(g.w - 1, Double.POSITIVE_INFINITY); // the last column of the first row
                Tensor ws = workspace(dt, x, w, g, ci % 2 == 1);
                double[][] out = new double[2][], dws = new double[2][], ys = new double[2][];
                for (int s = 0; s < 2; s++) {
                    SpatialRows.simd = s == 0;
                    Tensor dx = arena.empty(dt, g.xShape()), dw = arena.empty(dt, g.wShape()), y = arena.empty(dt, g.yShape());
                    Conv.conv2dBackwardInput(gy, w, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, dx);
                    Conv.conv2dBackwardWeight(gy, x, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, dw);
                    forward(g, x, w, null, ws, y);
                    out[s] = dx.toDoubleArray();
                    dws[s] = dw.toDoubleArray();
                    ys[s] = y.toDoubleArray();
                }
                assertClose(dt + " " + g + " col2im simd vs scalar", out[1], out[0], 0);
                assertClose(dt + " " + g + " weight gradient simd vs scalar", dws[1], dws[0], 0);
                assertClose(dt + " " + g + " forward simd vs scalar", ys[1], ys[0], 0);
            }
        }
        SpatialRows.simd = true;
    }

    /**
     * The direct single-channel path and im2col + GEMM agree on the CNN's first layer (batch 64, so the
     * forward and weight-gradient units spread over the pool), with and without bias, in chunks of one padded
     * image and of the whole batch.
     */
    @Test
    void directAndIm2colPathsAgree() {
        Random rnd = new Random(6);
        Geometry g = new Geometry(64, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        DType dt = DType.F32;
        Tensor x = make(arena, dt, rnd, g.xShape()), w = make(arena, dt, rnd, g.wShape()), gy = make(arena, dt, rnd, g.yShape());
        Tensor b = make(arena, dt, rnd, g.cout);
        for (boolean minimal : new boolean[] {true, false}) {
            Tensor ws = workspace(dt, x, w, g, minimal);
            double[][] out = new double[2][];
            for (int direct = 0; direct < 2; direct++) {
                ConvDirect.setEnabled(direct == 1);
                try {
                    Tensor y = arena.empty(dt, g.yShape()), y0 = arena.empty(dt, g.yShape()), dw = arena.empty(dt, g.wShape());
                    forward(g, x, w, b, ws, y);
                    forward(g, x, w, null, ws, y0);
                    Conv.conv2dBackwardWeight(gy, x, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, dw);
                    double[] yv = y.toDoubleArray(), y0v = y0.toDoubleArray(), dwv = dw.toDoubleArray();
                    out[direct] = new double[yv.length + y0v.length + dwv.length];
                    System.arraycopy(yv, 0, out[direct], 0, yv.length);
                    System.arraycopy(y0v, 0, out[direct], yv.length, y0v.length);
                    System.arraycopy(dwv, 0, out[direct], yv.length + y0v.length, dwv.length);
                } finally {
                    ConvDirect.setEnabled(true);
                }
            }
            assertClose("direct vs im2col, minimal workspace " + minimal, out[0], out[1], tol(dt) * 20);
        }
    }

    /** Workspaces for 1 image (GEMM per image), 4 images (equal chunks: 3, 3, 3) and the whole batch agree. */
    @Test
    void chunkSizesAgree() {
        Random rnd = new Random(5);
        Geometry g = new Geometry(9, 3, 11, 10, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        for (DType dt : SpatialTestSupport.FLOATS) {
            arena.reset();
            Tensor x = make(arena, dt, rnd, g.xShape()), w = make(arena, dt, rnd, g.wShape()), gy = make(arena, dt, rnd, g.yShape());
            Tensor b = make(arena, dt, rnd, g.cout);
            long perImage = ((long) g.cin * g.kh * g.kw + g.cout) * g.ho() * g.wo();
            long weightStage = (long) g.cout * g.cin * g.kh * g.kw;
            double[][][] out = new double[3][][];
            long[] images = {1, 4, 9};
            for (int k = 0; k < 3; k++) {
                Tensor ws = arena.empty(dt, weightStage + images[k] * perImage + (k == 1 ? perImage - 1 : 0));
                ws.fill(Double.NaN);
                Tensor y = arena.empty(dt, g.yShape()), dx = arena.empty(dt, g.xShape()), dw = arena.empty(dt, g.wShape());
                forward(g, x, w, b, ws, y);
                Conv.conv2dBackwardInput(gy, w, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, dx);
                Conv.conv2dBackwardWeight(gy, x, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, dw);
                out[k] = new double[][] {y.toDoubleArray(), dx.toDoubleArray(), dw.toDoubleArray()};
            }
            for (int k = 1; k < 3; k++) {
                for (int r = 0; r < 3; r++) {
                    assertClose(dt + " " + images[k] + " images, result " + r, out[0][r], out[k][r], tol(dt) * 5);
                }
            }
        }
    }

    /**
     * The slot path (Note [Conv slots] in ConvSlots: each of 2 or 3 pool threads runs whole chunks with
     * single-threaded GEMMs) against the serial chunk path on one thread: forward and input gradient bit for
     * bit (every element comes from the same GEMM call), the weight gradient, summed per slot, within
     * rounding; with groups, strides, F32 and F64, and 7 images in chunks of 2 (4 chunks over the slots).
     */
    @Test
    void slotPathsAgreeWithTheSerialPath() {
        int threads = Parallel.threads();
        int gemmThreads = GemmBackend.threads();
        Random rnd = new Random(11);
        Geometry[] geometries = {new Geometry(7, 4, 11, 10, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2),
                new Geometry(7, 3, 13, 9, 5, 3, 2, 2, 1, 1, 0, 1, 2, 1), new Geometry(7, 8, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1)};
        try {
            // On each sgemm library (Note [GEMM backend]); on oneDNN for every product, however small, and with one
            // GEMM thread on the caller too, so that the serial chunks also run on oneDNN (on two threads they
            // would run on OpenBLAS, Note [oneDNN and signals], and differ from the slots by rounding).
            GemmBackendTest.onEachBackend(kind -> {
                GemmBackend.setThreads(kind == GemmBackend.Kind.ONEDNN ? 1 : gemmThreads);
                for (Geometry g : geometries) {
                    for (DType dt : SpatialTestSupport.FLOATS) {
                        arena.reset();
                        Tensor x = make(arena, dt, rnd, g.xShape()), w = make(arena, dt, rnd, g.wShape());
                        Tensor gy = make(arena, dt, rnd, g.yShape()), b = make(arena, dt, rnd, g.cout);
                        long perImage = ((long) g.cin * g.kh * g.kw + g.cout) * g.ho() * g.wo();
                        long weightStage = (long) g.cout * (g.cin / g.groups) * g.kh * g.kw;
                        double[][][] out = new double[3][][];
                        int[] pools = {1, 2, 3};
                        for (int k = 0; k < 3; k++) {
                            Parallel.setThreads(pools[k]);
                            // Room for 2 images per slot (and the weight gradient's partial sums) on every pool size.
                            Tensor ws = arena.empty(dt, weightStage * pools[k] + 2L * pools[k] * perImage);
                            ws.fill(Double.NaN);
                            Tensor y = arena.empty(dt, g.yShape()), dx = arena.empty(dt, g.xShape()), dw = arena.empty(dt, g.wShape());
                            dx.fill(Double.NaN);
                            dw.fill(Double.NaN);
                            forward(g, x, w, b, ws, y);
                            Conv.conv2dBackwardInput(gy, w, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, dx);
                            Conv.conv2dBackwardWeight(gy, x, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups, ws, dw);
                            out[k] = new double[][] {y.toDoubleArray(), dx.toDoubleArray(), dw.toDoubleArray()};
                        }
                        for (int k = 1; k < 3; k++) {
                            String what = g + " " + dt + " on " + pools[k] + " threads, " + kind.title();
                            assertArrayEquals(out[0][0], out[k][0], what + ": forward");
                            assertArrayEquals(out[0][1], out[k][1], what + ": input gradient");
                            assertClose(what + ": weight gradient", out[0][2], out[k][2], tol(dt) * 5);
                        }
                        assertClose(g + " " + dt + ": forward against the definition", refForward(g, x.toDoubleArray(),
                                w.toDoubleArray(), b.toDoubleArray()), out[1][0], tol(dt) * 5);
                    }
                }
            });
        } finally {
            Parallel.setThreads(threads);
            GemmBackend.setThreads(gemmThreads);
        }
    }

    @Test
    void emptyBatchWritesZeroWeightAndBiasGradients() {
        DType dt = DType.F64;
        Geometry g = new Geometry(0, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Tensor x = arena.empty(dt, g.xShape()), w = arena.ones(dt, g.wShape()), gy = arena.empty(dt, g.yShape());
        Tensor ws = workspace(dt, x, w, g, true);
        Tensor dw = arena.full(dt, 7, g.wShape()), db = arena.full(dt, 7, 3);
        Conv.conv2dBackwardWeight(gy, x, 1, 1, 1, 1, 1, 1, 1, ws, dw);
        Conv.conv2dBackwardBias(gy, db);
        assertEquals(0, Reduce.sumSquares(dw));
        assertEquals(0, Reduce.sumSquares(db));
        Conv.conv2d(x, w, null, 1, 1, 1, 1, 1, 1, 1, ws, arena.empty(dt, g.yShape()));
    }

    @Test
    void outSizeFollowsTheFormulaAndRejectsEmptyOutputs() {
        assertEquals(28, Conv.outSize(28, 3, 1, 1, 1));
        assertEquals(14, Conv.outSize(28, 2, 2, 0, 1));
        assertEquals(3, Conv.outSize(10, 3, 2, 0, 2));
        assertEquals(1, Conv.outSize(3, 5, 1, 1, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv.outSize(4, 3, 1, 0, 3));
        assertTrue(e.getMessage().contains("Conv.outSize") && e.getMessage().contains("extent 7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conv.outSize(4, 3, 0, 0, 1));
        assertTrue(e.getMessage().contains("stride 0"), e.getMessage());
    }

    @Test
    void badArgumentsAreRejectedWithMessagesNamingTheKernelAndShapes() {
        DType dt = DType.F32;
        Tensor x = arena.zeros(dt, 2, 4, 6, 6), w = arena.zeros(dt, 8, 2, 3, 3), y = arena.empty(dt, 2, 8, 6, 6);
        Tensor ws = arena.empty(dt, Conv.workspaceElements(x, w, 1, 1, 1, 1, 1, 1, 2));
        assertMessage(() -> Conv.conv2d(x, w, null, 1, 1, 1, 1, 1, 1, 1, ws, y), "Conv.conv2d", "groups 1", "f32[8, 2, 3, 3]");
        assertMessage(() -> Conv.conv2d(x, w, null, 1, 1, 0, 0, 1, 1, 2, ws, y), "Conv.conv2d", "y f32[2, 8, 6, 6]",
                "[2, 8, 4, 4]");
        assertMessage(() -> Conv.conv2d(x, w, arena.zeros(dt, 7), 1, 1, 1, 1, 1, 1, 2, ws, y), "bias f32[7]", "[8]");
        assertMessage(() -> Conv.conv2d(x, w, null, 1, 1, 1, 1, 1, 1, 2, arena.empty(dt, 10), y), "workspace f32[10]",
                "at least");
        assertMessage(() -> Conv.conv2d(x, w, null, 1, 1, 1, 1, 1, 1, 2, arena.empty(DType.F64, ws.numel()), y),
                "workspace f64", "expected f32");
        assertMessage(() -> Conv.conv2d(x, arena.zeros(DType.F64, 8, 2, 3, 3), null, 1, 1, 1, 1, 1, 1, 2, ws, y), "w f64");
        assertMessage(() -> Conv.conv2d(x, w, null, 1, 1, 1, 1, 1, 1, 2, ws, arena.empty(dt, 2, 8, 6, 7).slice(3, 0, 6)),
                "Conv.conv2d", "contiguous");
        assertMessage(() -> Conv.conv2d(x, w, null, 1, 1, -1, 1, 1, 1, 2, ws, y), "padding (-1, 1)");
        assertMessage(() -> Conv.conv2d(arena.zeros(dt, 4, 6, 6), w, null, 1, 1, 1, 1, 1, 1, 2, ws, y), "4-D");
        Tensor shared = arena.empty(dt, x.numel() + ws.numel());
        Tensor xOverlapping = shared.slice(0, 0, x.numel()).reshape(2, 4, 6, 6);
        Tensor wsOverlapping = shared.slice(0, x.numel() - 1, x.numel() - 1 + ws.numel());
        assertMessage(() -> Conv.conv2d(xOverlapping, w, null, 1, 1, 1, 1, 1, 1, 2, wsOverlapping, y), "workspace f32",
                "overlaps x f32[2, 4, 6, 6]");
        assertMessage(() -> Conv.conv2dBackwardInput(y, w, 1, 1, 1, 1, 1, 1, 2, ws, arena.empty(dt, 2, 4, 5, 6)),
                "Conv.conv2dBackwardInput", "gy f32[2, 8, 6, 6]", "[2, 8, 5, 6]");
        assertMessage(() -> Conv.conv2dBackwardWeight(y, x, 1, 1, 1, 1, 1, 1, 2, ws, arena.empty(dt, 8, 4, 3, 3)),
                "Conv.conv2dBackwardWeight", "dw f32[8, 4, 3, 3]");
        assertMessage(() -> Conv.conv2dBackwardBias(y, arena.empty(dt, 4)), "Conv.conv2dBackwardBias", "db f32[4]", "[8]");
        assertMessage(() -> Conv.workspaceElements(x, w, 1, 1, 1, 1, 1, 1, 3), "Conv.workspaceElements", "groups 3");
    }
}
