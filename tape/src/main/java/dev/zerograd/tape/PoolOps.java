package dev.zerograd.tape;

import dev.zerograd.kernels.Pool;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;

/**
 * 2-D max and average pooling and global (1x1 adaptive) average pooling in NCHW, with PyTorch's semantics
 * (floor output sizes, padding at most half the kernel), through the kernels of {@link Pool}.
 *
 * <p>Note [Pooling adjoints]: average pooling is linear, and its adjoint {@code avg_pool2d_backward} (spread
 * each output gradient over its window) is an op whose own VJP is average pooling again, so the pair is
 * closed under differentiation. Max pooling picks one input per output: with the positions saved at
 * forward (I64, {@code ih * W + iw} within each plane) it is a gather, its VJP {@code max_pool2d_backward} the
 * matching scatter-add, and that op's VJP the gather again (written with {@link Ops#gather}). The positions
 * are piecewise constant in x, so second derivatives through the selection are zero, as for ReLU. Global
 * average pooling's VJP is {@code g / (H W)} broadcast over each plane (a stride-0 view and one scale).
 */
final class PoolOps {
    private PoolOps() {}

    /** Attributes 0..7: kernel (h, w), stride (h, w), padding (h, w), dilation (h, w). Saved 0: the I64 positions. */
    static final Op MAX_POOL2D = new Op("max_pool2d") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            grads.add(0, maxPool2dBackward(g, n.saved(0), x.size(2), x.size(3)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : gatherAt(t, n.saved(0));
        }
    };

    /** dx = 0, dx[positions] += gy (Note [Pooling adjoints]). Input: gy. Saved 0: the positions. */
    static final Op MAX_POOL2D_BACKWARD = new Op("max_pool2d_backward") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, gatherAt(g, n.saved(0)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            Tensor r = n.result();
            return t == null ? null : maxPool2dBackward(t, n.saved(0), r.size(2), r.size(3));
        }
    };

    /** Attributes 0..5: kernel (h, w), stride (h, w), padding (h, w); 6: countIncludePad (0/1). */
    static final Op AVG_POOL2D = new Op("avg_pool2d") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            grads.add(0, avgBackward(n, g, x.size(2), x.size(3)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : avg(n, t);
        }
    };

    /** The adjoint of avg_pool2d (Note [Pooling adjoints]); attributes as avg_pool2d's. Input: gy. */
    static final Op AVG_POOL2D_BACKWARD = new Op("avg_pool2d_backward") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, avg(n, g));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            Tensor r = n.result();
            return t == null ? null : avgBackward(n, t, r.size(2), r.size(3));
        }
    };

    /** y[n, c, 0, 0] = mean of x[n, c]. */
    static final Op ADAPTIVE_AVG_POOL2D_1X1 = new Op("adaptive_avg_pool2d_1x1") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            grads.add(0, Ops.mul(Ops.broadcastTo(g, x), 1.0 / (x.size(2) * x.size(3))));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : adaptiveAvgPool1x1(t);
        }
    };

    // ---------------------------------------------------------------- rules' helpers

    private static Tensor avg(Node n, Tensor x) {
        return avgPool2d(x, n.iattr(0), n.iattr(1), n.iattr(2), n.iattr(3), n.iattr(4), n.iattr(5), n.attr(6) != 0);
    }

    private static Tensor avgBackward(Node n, Tensor gy, long h, long w) {
        return avgPool2dBackward(gy, h, w, n.iattr(0), n.iattr(1), n.iattr(2), n.iattr(3), n.iattr(4), n.iattr(5), n.attr(6) != 0);
    }

    /** out[n, c, i, j] = src[n, c, positions[n, c, i, j]] (src [N, C, H, W] read as planes): a gather, recorded as one. */
    static Tensor gatherAt(Tensor src, Tensor positions) {
        Context c = Context.get();
        long[] s = c.poolShape;
        s[0] = src.size(0);
        s[1] = src.size(1);
        s[2] = src.size(2) * src.size(3);
        Tensor planes = Ops.reshape(src, s, 3);
        long[] p = c.poolIndexShape;
        p[0] = positions.size(0);
        p[1] = positions.size(1);
        p[2] = positions.size(2) * positions.size(3);
        Tensor flat = Ops.reshape(positions, p, 3);
        Tensor picked = Ops.gather(planes, 2, flat);
        positions.shapeInto(p);
        return Ops.reshape(picked, p, 4);
    }

    // ---------------------------------------------------------------- forward

    static Tensor maxPool2d(Tensor x, int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW) {
        Context c = Context.get();
        String op = "max_pool2d";
        Checks.floating(op, x);
        window(op, x, kH, kW, sH, sW, pH, pW, dH, dW);
        long[] s = c.poolShape;
        s[0] = x.size(0);
        s[1] = x.size(1);
        s[2] = outSize(op, x, 2, "height", kH, sH, pH, dH);
        s[3] = outSize(op, x, 3, "width", kW, sW, pW, dW);
        Tensor y = c.result(x, x.dtype(), s, 4);
        boolean track = c.tracks(x);
        Tensor positions = track ? c.result(x, DType.I64, s, 4) : null;
        Pool.maxPool2d(x, kH, kW, sH, sW, pH, pW, dH, dW, y, positions);
        if (track) {
            c.begin(MAX_POOL2D).in(x).save(positions).attr(0, kH).attr(1, kW).attr(2, sH).attr(3, sW).attr(4, pH).attr(5, pW)
                    .attr(6, dH).attr(7, dW).commit(y);
        }
        return y;
    }

    /** The gradient of max_pool2d for an input of spatial size h x w, given the saved positions. */
    static Tensor maxPool2dBackward(Tensor gy, Tensor positions, long h, long w) {
        Context c = Context.get();
        String op = "max_pool2d_backward";
        Checks.floating(op, gy);
        if (gy.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected gy of shape [N, C, Ho, Wo] (4-D), got " + gy.describe());
        }
        long[] s = c.poolShape;
        s[0] = gy.size(0);
        s[1] = gy.size(1);
        s[2] = h;
        s[3] = w;
        Tensor dx = c.result(gy, gy.dtype(), s, 4);
        Pool.maxPool2dBackward(gy, positions, dx);
        if (c.tracks(gy)) {
            c.begin(MAX_POOL2D_BACKWARD).in(gy).save(positions).commit(dx);
        }
        return dx;
    }

    static Tensor avgPool2d(Tensor x, int kH, int kW, int sH, int sW, int pH, int pW, boolean countIncludePad) {
        Context c = Context.get();
        String op = "avg_pool2d";
        Checks.floating(op, x);
        window(op, x, kH, kW, sH, sW, pH, pW, 1, 1);
        long[] s = c.poolShape;
        s[0] = x.size(0);
        s[1] = x.size(1);
        s[2] = outSize(op, x, 2, "height", kH, sH, pH, 1);
        s[3] = outSize(op, x, 3, "width", kW, sW, pW, 1);
        Tensor y = c.result(x, x.dtype(), s, 4);
        Pool.avgPool2d(x, kH, kW, sH, sW, pH, pW, countIncludePad, y);
        if (c.tracks(x)) {
            c.begin(AVG_POOL2D).in(x).attr(0, kH).attr(1, kW).attr(2, sH).attr(3, sW).attr(4, pH).attr(5, pW)
                    .attr(6, countIncludePad ? 1 : 0).commit(y);
        }
        return y;
    }

    /** The adjoint of avg_pool2d onto an input of spatial size h x w. */
    static Tensor avgPool2dBackward(Tensor gy, long h, long w, int kH, int kW, int sH, int sW, int pH, int pW,
                                    boolean countIncludePad) {
        Context c = Context.get();
        String op = "avg_pool2d_backward";
        Checks.floating(op, gy);
        if (gy.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected gy of shape [N, C, Ho, Wo] (4-D), got " + gy.describe());
        }
        long[] s = c.poolShape;
        s[0] = gy.size(0);
        s[1] = gy.size(1);
        s[2] = h;
        s[3] = w;
        Tensor dx = c.result(gy, gy.dtype(), s, 4);
        Pool.avgPool2dBackward(gy, kH, kW, sH, sW, pH, pW, countIncludePad, dx);
        if (c.tracks(gy)) {
            c.begin(AVG_POOL2D_BACKWARD).in(gy).attr(0, kH).attr(1, kW).attr(2, sH).attr(3, sW).attr(4, pH).attr(5, pW)
                    .attr(6, countIncludePad ? 1 : 0).commit(dx);
        }
        return dx;
    }

    /** [N, C, H, W] -> [N, C, 1, 1], the mean of each plane. */
    static Tensor adaptiveAvgPool1x1(Tensor x) {
        Context c = Context.get();
        String op = "adaptive_avg_pool2d_1x1";
        Checks.floating(op, x);
        if (x.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected x of shape [N, C, H, W] (4-D), got " + x.describe());
        }
        if (x.size(2) == 0 || x.size(3) == 0) {
            throw new IllegalArgumentException(op + ": x " + x.describe() + " has empty planes; the mean of nothing is undefined");
        }
        long[] s = c.poolShape;
        s[0] = x.size(0);
        s[1] = x.size(1);
        s[2] = 1;
        s[3] = 1;
        Tensor y = c.result(x, x.dtype(), s, 4);
        Pool.adaptiveAvgPool1x1(x, y);
        if (c.tracks(x)) {
            c.begin(ADAPTIVE_AVG_POOL2D_1X1).in(x).commit(y);
        }
        return y;
    }

    // ---------------------------------------------------------------- checks

    private static void window(String op, Tensor x, int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected x of shape [N, C, H, W] (4-D), got " + x.describe());
        }
        if (kH < 1 || kW < 1 || sH < 1 || sW < 1 || dH < 1 || dW < 1 || pH < 0 || pW < 0) {
            throw new IllegalArgumentException(op + ": kernel (" + kH + ", " + kW + "), stride (" + sH + ", " + sW + "), padding ("
                    + pH + ", " + pW + "), dilation (" + dH + ", " + dW + ") for x " + x.describe()
                    + "; expected kernel, stride and dilation >= 1 and padding >= 0");
        }
        if (pH > kH / 2 || pW > kW / 2) {
            throw new IllegalArgumentException(op + ": padding (" + pH + ", " + pW + ") exceeds half the kernel (" + kH + ", " + kW
                    + ") for x " + x.describe() + "; every window must overlap the image");
        }
    }

    private static long outSize(String op, Tensor x, int d, String what, int k, int stride, int pad, int dil) {
        long in = x.size(d);
        long extent = (long) dil * (k - 1) + 1;
        long padded = in + 2L * pad;
        if (padded < extent) {
            throw new IllegalArgumentException(op + ": the window " + what + " " + k + (dil > 1 ? " (dilation " + dil + ": extent "
                    + extent + ")" : "") + " is larger than the padded input " + what + " " + padded + " (" + in
                    + " + 2 x padding " + pad + ") of x " + x.describe());
        }
        return (padded - extent) / stride + 1;
    }
}
