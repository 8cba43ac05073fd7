package dev.zerograd.tape;

import dev.zerograd.kernels.Conv;
import dev.zerograd.kernels.Parallel;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;

/**
 * 2-D convolution (cross-correlation) in NCHW with stride, zero padding, dilation, groups and an optional bias,
 * by im2col and GEMM ({@link Conv}). Attributes of all three ops: 0, 1 = stride (h, w), 2, 3 = padding,
 * 4, 5 = dilation, 6 = groups.
 *
 * <p>Note [Convolution transposes]: for fixed hyper-parameters, {@code y = conv(x, w)} is bilinear, and its
 * two adjoints are ops of their own with fused kernels: {@code conv2d_backward_input(gy, w)} (a transposed
 * convolution, {@code <B(gy, w), v> = <gy, conv(v, w)>}) and {@code conv2d_backward_weight(gy, x)}
 * ({@code <W(gy, x), v> = <gy, conv(x, v)>}). Each of the three ops' VJPs and JVPs is written with the other
 * two (or itself), so the family is closed under differentiation and derivatives of any order exist:
 * <pre>
 * conv(x, w):   dx = B(g, w)       dw = W(g, x)
 * B(gy, w):     dgy = conv(G, w)   dw = W(gy, G)
 * W(gy, x):     dgy = conv(x, G)   dx = B(gy, G)
 * </pre>
 * The bias gradient is {@code sum(g)} over dims 0, 2, 3. The backward ops take the spatial size of x (or
 * the kernel size of w) from their result's shape: with a stride above 1 several input sizes give the same
 * output size, so it cannot be derived from gy.
 *
 * <p>Note [Conv workspace lifetime]: each kernel call needs a scratch workspace (columns and stages,
 * {@link Conv#workspaceElements}) taken from the result arena. It is dead once the kernel returns, so in a
 * confined arena it is freed again at once with {@link TensorArena#mark()} / {@link TensorArena#reset(long)}
 * and the next call reuses the same bytes; a step's arena then holds the results only. A shared arena may be
 * allocated from by other threads meanwhile, so there the workspace stays until the arena is reset.
 *
 * <p>Note [Conv chunks]: the workspace holds the columns of a chunk of images, so that each kernel makes one
 * GEMM per group per chunk (Note [Batched GEMM] in {@link Conv}); its size is capped at
 * {@link #WORKSPACE_BYTES} (2 MiB: about the L2 cache; 7 images of the CNN's second convolution, 16 of its
 * first) and at what the arena has left. On one thread the CNN step cost the same CPU time with chunks of
 * 2 MiB as image by image (57-70 ms either way, measured while other jobs loaded the machine) and 20-30%
 * more with chunks of 6, 16 or 64 MiB, whose columns leave the caches. On two threads the chunk turns 64
 * OpenBLAS fork-joins on 64 x 196 x 288 products into 10 on 64 x 1372 x 288 products, which split evenly:
 * best of 30 steps, 40-42 ms with 2 MiB chunks against 48-55 ms image by image and 49-52 ms with 64 MiB
 * (both the system's OpenMP and the bundled pthreads OpenBLAS; the medians, taken beside other jobs, were
 * too scattered to rank). On more than one thread each thread runs chunks of its own in a slot of the
 * workspace (Note [Conv slots] in the kernels' ConvSlots), so the workspace is 2 MiB per pool thread.
 */
final class ConvOps {
    private ConvOps() {}

    /** Inputs: x, w and optionally bias. */
    static final Op CONV2D = new Op("conv2d") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            Tensor w = n.input(1);
            if (n.needsGrad(0)) {
                grads.add(0, backwardInput(n, g, w, x.size(2), x.size(3)));
            }
            if (n.needsGrad(1)) {
                grads.add(1, backwardWeight(n, g, x, w.size(2), w.size(3)));
            }
            if (n.inputCount() == 3 && n.needsGrad(2)) {
                grads.add(2, ReduceOps.sum(g, NHW, false));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor tx = n.tangent(0);
            Tensor tw = n.tangent(1);
            Tensor t = tx == null ? null : conv(n, tx, n.input(1));
            if (tw != null) {
                t = ArithOps.plus(t, conv(n, n.input(0), tw));
            }
            Tensor tb = n.inputCount() == 3 ? n.tangent(2) : null;
            if (tb != null) {
                t = ArithOps.plus(t, ArithOps.toResult(channelColumn(tb), n));
            }
            return t;
        }
    };

    /** B(gy, w): the gradient of conv2d with respect to x (Note [Convolution transposes]). Inputs: gy, w. */
    static final Op CONV2D_BACKWARD_INPUT = new Op("conv2d_backward_input") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor gy = n.input(0);
            Tensor w = n.input(1);
            if (n.needsGrad(0)) {
                grads.add(0, conv(n, g, w));
            }
            if (n.needsGrad(1)) {
                grads.add(1, backwardWeight(n, gy, g, w.size(2), w.size(3)));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor tg = n.tangent(0);
            Tensor tw = n.tangent(1);
            Tensor r = n.result();
            Tensor t = tg == null ? null : backwardInput(n, tg, n.input(1), r.size(2), r.size(3));
            return tw == null ? t : ArithOps.plus(t, backwardInput(n, n.input(0), tw, r.size(2), r.size(3)));
        }
    };

    /** W(gy, x): the gradient of conv2d with respect to w (Note [Convolution transposes]). Inputs: gy, x. */
    static final Op CONV2D_BACKWARD_WEIGHT = new Op("conv2d_backward_weight") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor gy = n.input(0);
            Tensor x = n.input(1);
            if (n.needsGrad(0)) {
                grads.add(0, conv(n, x, g));
            }
            if (n.needsGrad(1)) {
                grads.add(1, backwardInput(n, gy, g, x.size(2), x.size(3)));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor tg = n.tangent(0);
            Tensor tx = n.tangent(1);
            Tensor r = n.result();
            Tensor t = tg == null ? null : backwardWeight(n, tg, n.input(1), r.size(2), r.size(3));
            return tx == null ? t : ArithOps.plus(t, backwardWeight(n, n.input(0), tx, r.size(2), r.size(3)));
        }
    };

    /** Most bytes of one conv kernel call's workspace (Note [Conv chunks]); {@code -Dzerograd.conv.workspaceMiB=N}. */
    static final long WORKSPACE_BYTES = Long.getLong("zerograd.conv.workspaceMiB", 2) << 20;

    /** Dims 0, 2 and 3 of an NCHW tensor, as a reduction mask: the bias gradient sums over them. */
    private static final int NHW = 0b1101;

    // ---------------------------------------------------------------- rules' helpers (hyper-parameters from the node)

    private static Tensor conv(Node n, Tensor x, Tensor w) {
        return conv2d(x, w, null, n.iattr(0), n.iattr(1), n.iattr(2), n.iattr(3), n.iattr(4), n.iattr(5), n.iattr(6));
    }

    private static Tensor backwardInput(Node n, Tensor gy, Tensor w, long h, long wd) {
        return conv2dBackwardInput(gy, w, h, wd, n.iattr(0), n.iattr(1), n.iattr(2), n.iattr(3), n.iattr(4), n.iattr(5), n.iattr(6));
    }

    private static Tensor backwardWeight(Node n, Tensor gy, Tensor x, long kh, long kw) {
        return conv2dBackwardWeight(gy, x, kh, kw, n.iattr(0), n.iattr(1), n.iattr(2), n.iattr(3), n.iattr(4), n.iattr(5), n.iattr(6));
    }

    /** A per-channel vector [C] viewed as [C, 1, 1], which broadcasts against [N, C, H, W]. */
    private static Tensor channelColumn(Tensor v) {
        long[] s = Context.get().convShape;
        s[0] = v.size(0);
        s[1] = 1;
        s[2] = 1;
        return Ops.reshape(v, s, 3);
    }

    // ---------------------------------------------------------------- forward

    /** y = conv2d(x, w) + bias, [N, Cin, H, W] * [Cout, Cin / groups, kH, kW] -> [N, Cout, Ho, Wo]. */
    static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int sH, int sW, int pH, int pW, int dH, int dW, int groups) {
        Context c = Context.get();
        String op = "conv2d";
        Checks.floating(op, x, w);
        if (x.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected x of shape [N, Cin, H, W] (4-D), got " + x.describe());
        }
        if (w.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected weight of shape [Cout, Cin / groups, kH, kW] (4-D), got " + w.describe());
        }
        hyperParameters(op, sH, sW, pH, pW, dH, dW, groups);
        long cin = x.size(1);
        long cout = w.size(0);
        if (cin % groups != 0) {
            throw new IllegalArgumentException(op + ": groups " + groups + " does not divide the " + cin
                    + " input channels of x " + x.describe());
        }
        if (cout % groups != 0) {
            throw new IllegalArgumentException(op + ": groups " + groups + " does not divide the " + cout
                    + " output channels of weight " + w.describe());
        }
        if (w.size(1) * groups != cin) {
            throw new IllegalArgumentException(op + ": x " + x.describe() + " has " + cin + " input channels but weight "
                    + w.describe() + " expects " + w.size(1) * groups + " (weight.size(1) " + w.size(1) + " x groups " + groups + ")");
        }
        if (bias != null) {
            Checks.floating(op, x, bias);
            if (bias.rank() != 1 || bias.size(0) != cout) {
                throw new IllegalArgumentException(op + ": expected bias of shape [" + cout + "] (one value per output channel of weight "
                        + w.describe() + "), got " + bias.describe());
            }
        }
        long[] s = c.convShape;
        s[0] = x.size(0);
        s[1] = cout;
        s[2] = outSize(op, x, w, 2, "height", pH, sH, dH);
        s[3] = outSize(op, x, w, 3, "width", pW, sW, dW);
        Tensor y = c.result(x, x.dtype(), s, 4);
        TensorArena arena = c.resultArena(x);
        boolean release = !arena.isShared();
        long mark = release ? arena.mark() : 0;
        try {
            Tensor ws = workspace(c, arena, x.dtype(), workspaceElements(arena, x, w, sH, sW, pH, pW, dH, dW, groups));
            Conv.conv2d(x, w, bias, sH, sW, pH, pW, dH, dW, groups, ws, y);
        } finally {
            if (release) {
                arena.reset(mark);
            }
        }
        boolean track = bias == null ? c.tracks(x, w) : c.tracks(x, w, bias);
        if (track) {
            Call call = attrs(c.begin(CONV2D).in(x).in(w), sH, sW, pH, pW, dH, dW, groups);
            if (bias != null) {
                call.in(bias);
            }
            call.commit(y);
        }
        return y;
    }

    /** dx = B(gy, w) of spatial size h x wd (Note [Convolution transposes]). */
    static Tensor conv2dBackwardInput(Tensor gy, Tensor w, long h, long wd, int sH, int sW, int pH, int pW, int dH, int dW,
                                      int groups) {
        Context c = Context.get();
        String op = "conv2d_backward_input";
        Checks.floating(op, gy, w);
        if (gy.rank() != 4 || w.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected gy [N, Cout, Ho, Wo] and weight [Cout, Cin / groups, kH, kW] (4-D), got "
                    + gy.describe() + " and " + w.describe());
        }
        hyperParameters(op, sH, sW, pH, pW, dH, dW, groups);
        long[] s = c.convShape;
        s[0] = gy.size(0);
        s[1] = w.size(1) * groups;
        s[2] = h;
        s[3] = wd;
        Tensor dx = c.result(gy, gy.dtype(), s, 4);
        TensorArena arena = c.resultArena(gy);
        boolean release = !arena.isShared();
        long mark = release ? arena.mark() : 0;
        try {
            Tensor ws = workspace(c, arena, gy.dtype(), workspaceElements(arena, dx, w, sH, sW, pH, pW, dH, dW, groups));
            Conv.conv2dBackwardInput(gy, w, sH, sW, pH, pW, dH, dW, groups, ws, dx);
        } finally {
            if (release) {
                arena.reset(mark);
            }
        }
        if (c.tracks(gy, w)) {
            attrs(c.begin(CONV2D_BACKWARD_INPUT).in(gy).in(w), sH, sW, pH, pW, dH, dW, groups).commit(dx);
        }
        return dx;
    }

    /** dw = W(gy, x) with a kh x kw kernel (Note [Convolution transposes]). */
    static Tensor conv2dBackwardWeight(Tensor gy, Tensor x, long kh, long kw, int sH, int sW, int pH, int pW, int dH, int dW,
                                       int groups) {
        Context c = Context.get();
        String op = "conv2d_backward_weight";
        Checks.floating(op, gy, x);
        if (gy.rank() != 4 || x.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected gy [N, Cout, Ho, Wo] and x [N, Cin, H, W] (4-D), got "
                    + gy.describe() + " and " + x.describe());
        }
        hyperParameters(op, sH, sW, pH, pW, dH, dW, groups);
        if (x.size(1) % groups != 0) {
            throw new IllegalArgumentException(op + ": groups " + groups + " does not divide the " + x.size(1)
                    + " input channels of x " + x.describe());
        }
        long[] s = c.convShape;
        s[0] = gy.size(1);
        s[1] = x.size(1) / groups;
        s[2] = kh;
        s[3] = kw;
        Tensor dw = c.result(gy, gy.dtype(), s, 4);
        TensorArena arena = c.resultArena(gy);
        boolean release = !arena.isShared();
        long mark = release ? arena.mark() : 0;
        try {
            Tensor ws = workspace(c, arena, gy.dtype(), workspaceElements(arena, x, dw, sH, sW, pH, pW, dH, dW, groups));
            Conv.conv2dBackwardWeight(gy, x, sH, sW, pH, pW, dH, dW, groups, ws, dw);
        } finally {
            if (release) {
                arena.reset(mark);
            }
        }
        if (c.tracks(gy, x)) {
            attrs(c.begin(CONV2D_BACKWARD_WEIGHT).in(gy).in(x), sH, sW, pH, pW, dH, dW, groups).commit(dw);
        }
        return dw;
    }

    // ---------------------------------------------------------------- checks and helpers

    private static Call attrs(Call call, int sH, int sW, int pH, int pW, int dH, int dW, int groups) {
        return call.attr(0, sH).attr(1, sW).attr(2, pH).attr(3, pW).attr(4, dH).attr(5, dW).attr(6, groups);
    }

    /**
     * Workspace elements for chunks of images (Note [Batched GEMM] in {@link Conv}): at most
     * {@link #WORKSPACE_BYTES} per pool thread and what the arena has left, at least one image.
     */
    private static long workspaceElements(TensorArena arena, Tensor x, Tensor w, int sH, int sW, int pH, int pW, int dH,
                                          int dW, int groups) {
        long free = Math.max(0, arena.capacity() - arena.bytesInUse() - 2 * TensorArena.ALIGNMENT);
        long bytes = Math.min(WORKSPACE_BYTES * Parallel.threads(), free); // a chunk per pool thread (Note [Conv slots])
        return Conv.workspaceElementsWithin(x, w, sH, sW, pH, pW, dH, dW, groups, bytes / x.dtype().byteSize());
    }

    private static Tensor workspace(Context c, TensorArena arena, DType dtype, long elements) {
        c.convWorkspaceShape[0] = elements;
        return arena.empty(dtype, c.convWorkspaceShape, 1);
    }

    private static void hyperParameters(String op, int sH, int sW, int pH, int pW, int dH, int dW, int groups) {
        if (sH < 1 || sW < 1 || pH < 0 || pW < 0 || dH < 1 || dW < 1 || groups < 1) {
            throw new IllegalArgumentException(op + ": stride (" + sH + ", " + sW + "), padding (" + pH + ", " + pW
                    + "), dilation (" + dH + ", " + dW + "), groups " + groups
                    + "; expected strides, dilations and groups >= 1 and paddings >= 0");
        }
    }

    /** The output size along dim {@code d} (2 or 3) of x, or an exception naming the sizes when the kernel does not fit. */
    private static long outSize(String op, Tensor x, Tensor w, int d, String what, int pad, int stride, int dil) {
        long in = x.size(d);
        long k = w.size(d);
        long extent = dil * (k - 1) + 1;
        long padded = in + 2L * pad;
        if (k < 1 || padded < extent) {
            throw new IllegalArgumentException(op + ": the kernel " + what + " " + k + (dil > 1 ? " (dilation " + dil + ": extent "
                    + extent + ")" : "") + " of weight " + w.describe() + " is larger than the padded input " + what + " " + padded
                    + " (" + in + " + 2 x padding " + pad + ") of x " + x.describe());
        }
        return (padded - extent) / stride + 1;
    }
}
