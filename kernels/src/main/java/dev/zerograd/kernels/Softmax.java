package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Softmax and log-softmax along one dim, and their backward rules, for F32/F64 tensors of any strides
 * (outputs contiguous, same shape). A rank-0 tensor is a row of one element (dim 0 or -1).
 *
 * <p>Numerics: each row subtracts its maximum m before exponentiating, so {@code exp(x - m) <= 1} never
 * overflows and the row sum is at least 1: logits of +-1000 are fine. A row whose max is +inf, or whose
 * elements are all -inf, gives NaN, as in PyTorch. Rows are computed in double (Note [Staged blocks] in
 * {@link RowKernels}); log-softmax is {@code x - (m + log sum exp(x - m))}, never {@code log(softmax)}, so
 * it stays finite where the probability underflows.
 */
public final class Softmax {
    private Softmax() {}

    /** {@code out = exp(x - m) / sum_dim exp(x - m)}, m the row max. Modifies out. */
    public static void softmax(Tensor x, int dim, Tensor out) {
        forward("Softmax.softmax", false, x, dim, out);
    }

    /** {@code out = x - m - log sum_dim exp(x - m)}. Modifies out. */
    public static void logSoftmax(Tensor x, int dim, Tensor out) {
        forward("Softmax.logSoftmax", true, x, dim, out);
    }

    /** {@code out = y * (g - sum_dim(g * y))}, y the softmax output: the VJP of softmax. Modifies out. */
    public static void softmaxBackward(Tensor g, Tensor y, int dim, Tensor out) {
        backward("Softmax.softmaxBackward", false, g, y, dim, out);
    }

    /** {@code out = g - exp(y) * sum_dim(g)}, y the log-softmax output: the VJP of log-softmax. Modifies out. */
    public static void logSoftmaxBackward(Tensor g, Tensor y, int dim, Tensor out) {
        backward("Softmax.logSoftmaxBackward", true, g, y, dim, out);
    }

    /** The dim along which rows run: {@code dim} normalised, or -1 for a rank-0 tensor (one row of one). */
    static int rowDim(String op, Tensor x, int dim) {
        if (x.rank() == 0) {
            if (dim != 0 && dim != -1) {
                throw new IllegalArgumentException(op + ": dim " + dim + " is out of range for the rank-0 tensor "
                        + x.describe() + " (expected 0 or -1)");
            }
            return -1;
        }
        return TensorChecks.dim(op, "x", x, dim);
    }

    private static void forward(String op, boolean log, Tensor x, int dim, Tensor out) {
        DType dt = TensorChecks.floating(op, "x", x);
        TensorChecks.dtype(op, "out", out, dt);
        TensorChecks.contiguous(op, "out", out);
        TensorChecks.sameShape(op, "out", out, "x", x);
        int d = rowDim(op, x, dim);
        if (x.numel() == 0) {
            return;
        }
        boolean f32 = dt == DType.F32;
        int esz = RowKernels.bytes(f32);
        long n = d < 0 ? 1 : x.size(d);
        long xstr = d < 0 ? 0 : x.stride(d), ostr = d < 0 ? 0 : out.stride(d);
        MemorySegment xs = x.segment(), os = out.segment();
        long xb = x.byteOffset(), ob = out.byteOffset();
        WalkScratch w = BlockMath.enter(x.numel());
        DimWalker rows = w.outer.reset(2);
        for (int k = 0; k < x.rank(); k++) {
            if (k != d) {
                rows.add(x.size(k), x.stride(k), out.stride(k), 0, 0);
            }
        }
        rows.start();
        do {
            long xo = xb + rows.offset[0] * esz, oo = ob + rows.offset[1] * esz;
            double m = RowKernels.reduce(RowKernels.MAX, xs, f32, xo, n, xstr, 0, w);
            if (log) {
                double s = RowKernels.sum(RowKernels.EXP_SUM, f32, n, m, xs, xo, xstr, xs, xo, xstr, w);
                RowKernels.map(RowKernels.AFFINE, f32, n, 1, -(m + Math.log(s)), xs, xo, xstr, xs, xo, xstr, os, oo, ostr, w);
            } else {
                double s = RowKernels.map(RowKernels.EXP_SHIFT, f32, n, m, 0, xs, xo, xstr, xs, xo, xstr, os, oo, ostr, w);
                RowKernels.map(RowKernels.AFFINE, f32, n, 1.0 / s, 0, os, oo, ostr, os, oo, ostr, os, oo, ostr, w);
            }
        } while (rows.next());
    }

    private static void backward(String op, boolean log, Tensor g, Tensor y, int dim, Tensor out) {
        DType dt = TensorChecks.floating(op, "g", g);
        TensorChecks.dtype(op, "y", y, dt);
        TensorChecks.dtype(op, "out", out, dt);
        TensorChecks.contiguous(op, "out", out);
        TensorChecks.sameShape(op, "y", y, "g", g);
        TensorChecks.sameShape(op, "out", out, "g", g);
        int d = rowDim(op, g, dim);
        if (g.numel() == 0) {
            return;
        }
        boolean f32 = dt == DType.F32;
        int esz = RowKernels.bytes(f32);
        long n = d < 0 ? 1 : g.size(d);
        long gstr = d < 0 ? 0 : g.stride(d), ystr = d < 0 ? 0 : y.stride(d), ostr = d < 0 ? 0 : out.stride(d);
        MemorySegment gs = g.segment(), ys = y.segment(), os = out.segment();
        long gb = g.byteOffset(), yb = y.byteOffset(), ob = out.byteOffset();
        WalkScratch w = BlockMath.enter(g.numel());
        DimWalker rows = w.outer.reset(3);
        for (int k = 0; k < g.rank(); k++) {
            if (k != d) {
                rows.add(g.size(k), g.stride(k), y.stride(k), out.stride(k), 0);
            }
        }
        rows.start();
        do {
            long go = gb + rows.offset[0] * esz, yo = yb + rows.offset[1] * esz, oo = ob + rows.offset[2] * esz;
            if (log) {
                double s = RowKernels.reduce(RowKernels.SUM, gs, f32, go, n, gstr, 0, w);
                RowKernels.map(RowKernels.LOG_SOFTMAX_BWD, f32, n, s, 0, gs, go, gstr, ys, yo, ystr, os, oo, ostr, w);
            } else {
                double s = RowKernels.sum(RowKernels.DOT, f32, n, 0, gs, go, gstr, ys, yo, ystr, w);
                RowKernels.map(RowKernels.SOFTMAX_BWD, f32, n, s, 0, gs, go, gstr, ys, yo, ystr, os, oo, ostr, w);
            }
        } while (rows.next());
    }
}
