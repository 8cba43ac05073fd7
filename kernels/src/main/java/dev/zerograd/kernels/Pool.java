package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;

/**
 * 2-D max and average pooling and global (1x1 adaptive) average pooling of F32/F64 tensors in NCHW layout,
 * and their backward rules, with PyTorch's semantics (floor output sizes, {@code ceil_mode=False}). Inputs
 * and outputs may have any strides (outputs not broadcast). Work runs on the {@link Parallel} pool over
 * (image, channel) planes.
 *
 * <p>Output size per dim: {@code (in + 2 pad - dil (k - 1) - 1) / stride + 1} ({@link Conv#outSize}). As in
 * PyTorch, padding may be at most half the kernel, so every window overlaps the image.
 */
public final class Pool {
    private Pool() {}

    /**
     * {@code y[n, c, i, j] = max over ki < kH, kj < kW of x[n, c, i sH - pH + ki dH, j sW - pW + kj dW]},
     * padding counting as -inf. NaN propagates. The index of the chosen element, {@code ih * W + iw} in its
     * input plane, goes to indices when given (see {@link PoolTask} for ties).
     *
     * @param x [N, C, H, W]; not modified
     * @param y [N, C, Ho, Wo], x's dtype; modified
     * @param indicesOrNull I64, y's shape, or null; modified
     */
    public static void maxPool2d(Tensor x, int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW, Tensor y,
                                 Tensor indicesOrNull) {
        String op = "Pool.maxPool2d";
        DType dt = planes(op, "x", x);
        PoolTask t = geometry(op, x, kH, kW, sH, sW, pH, pW, dH, dW);
        output(op, "y", y, x, t.ho, t.wo, dt);
        if (indicesOrNull != null) {
            output(op, "indices", indicesOrNull, x, t.ho, t.wo, DType.I64);
        }
        t.mode = PoolTask.MAX;
        t.setIn(x);
        t.setOut(y);
        t.setIndices(indicesOrNull);
        run(t, x.size(0), x.size(1), t.ho * t.wo * kH * kW);
    }

    /**
     * {@code dx = 0, then dx[n, c, idx] += gy[n, c, i, j]} for {@code idx = indices[n, c, i, j]}: the gradient
     * of {@link #maxPool2d}. Overwrites dx.
     *
     * @param gy [N, C, Ho, Wo]; not modified
     * @param indices I64, gy's shape, each in {@code [0, H W)}; not modified
     * @param dx [N, C, H, W], gy's dtype; modified
     * @throws IllegalArgumentException for an index outside the input plane (dx is then partly written)
     */
    public static void maxPool2dBackward(Tensor gy, Tensor indices, Tensor dx) {
        String op = "Pool.maxPool2dBackward";
        DType dt = planes(op, "gy", gy);
        planesOf(op, "dx", dx, dt);
        TensorChecks.dtype(op, "indices", indices, DType.I64);
        TensorChecks.sameShape(op, "indices", indices, "gy", gy);
        if (dx.size(0) != gy.size(0) || dx.size(1) != gy.size(1)) {
            throw new IllegalArgumentException(op + ": dx " + dx.describe() + " must have the batch and channel sizes of gy "
                    + gy.describe());
        }
        TensorChecks.writable(op, "dx", dx);
        PoolTask t = PoolTask.get();
        planeSizes(t, dx, gy);
        t.mode = PoolTask.MAX_BACKWARD;
        t.setIn(gy);
        t.setOut(dx);
        t.setIndices(indices);
        run(t, gy.size(0), gy.size(1), t.ho * t.wo + t.h * t.w);
    }

    /**
     * {@code y[n, c, i, j] = mean of x over the window} (padding counts as 0). The divisor is the window size
     * including padding when countIncludePad (PyTorch's default), otherwise the number of elements inside
     * the image.
     *
     * @param x [N, C, H, W]; not modified
     * @param y [N, C, Ho, Wo]; modified
     */
    public static void avgPool2d(Tensor x, int kH, int kW, int sH, int sW, int pH, int pW, boolean countIncludePad, Tensor y) {
        String op = "Pool.avgPool2d";
        DType dt = planes(op, "x", x);
        PoolTask t = geometry(op, x, kH, kW, sH, sW, pH, pW, 1, 1);
        output(op, "y", y, x, t.ho, t.wo, dt);
        t.mode = PoolTask.AVG;
        t.countIncludePad = countIncludePad;
        t.setIn(x);
        t.setOut(y);
        t.setIndices(null);
        run(t, x.size(0), x.size(1), t.ho * t.wo * kH * kW);
    }

    /**
     * {@code dx = 0, then dx[window of (i, j)] += gy[n, c, i, j] / divisor}: the gradient of
     * {@link #avgPool2d} with the same arguments. Overwrites dx.
     *
     * @param gy [N, C, Ho, Wo]; not modified
     * @param dx [N, C, H, W]; modified
     */
    public static void avgPool2dBackward(Tensor gy, int kH, int kW, int sH, int sW, int pH, int pW, boolean countIncludePad,
                                         Tensor dx) {
        String op = "Pool.avgPool2dBackward";
        DType dt = planes(op, "dx", dx);
        planesOf(op, "gy", gy, dt);
        PoolTask t = geometry(op, dx, kH, kW, sH, sW, pH, pW, 1, 1);
        if (gy.size(0) != dx.size(0) || gy.size(1) != dx.size(1) || gy.size(2) != t.ho || gy.size(3) != t.wo) {
            throw new IllegalArgumentException(op + ": gy " + gy.describe() + " must have shape [" + dx.size(0) + ", "
                    + dx.size(1) + ", " + t.ho + ", " + t.wo + "] for dx " + dx.describe() + ", kernel (" + kH + ", " + kW
                    + "), stride (" + sH + ", " + sW + "), padding (" + pH + ", " + pW + ")");
        }
        TensorChecks.writable(op, "dx", dx);
        t.mode = PoolTask.AVG_BACKWARD;
        t.countIncludePad = countIncludePad;
        t.setIn(gy);
        t.setOut(dx);
        t.setIndices(null);
        run(t, dx.size(0), dx.size(1), t.ho * t.wo * kH * kW);
    }

    /**
     * Global average pooling: {@code y[n, c, 0, 0] = mean over h, w of x[n, c, h, w]}, summed in double.
     *
     * @param x [N, C, H, W] with H W > 0; not modified
     * @param y [N, C, 1, 1]; modified
     */
    public static void adaptiveAvgPool1x1(Tensor x, Tensor y) {
        String op = "Pool.adaptiveAvgPool1x1";
        DType dt = planes(op, "x", x);
        nonEmptyPlane(op, "x", x);
        output(op, "y", y, x, 1, 1, dt);
        PoolTask t = PoolTask.get();
        planeSizes(t, x, y);
        t.mode = PoolTask.MEAN;
        t.setIn(x);
        t.setOut(y);
        t.setIndices(null);
        run(t, x.size(0), x.size(1), t.h * t.w);
    }

    /**
     * {@code dx[n, c, h, w] = gy[n, c, 0, 0] / (H W)}: the gradient of {@link #adaptiveAvgPool1x1}. Overwrites dx.
     *
     * @param gy [N, C, 1, 1]; not modified
     * @param dx [N, C, H, W]; modified
     */
    public static void adaptiveAvgPool1x1Backward(Tensor gy, Tensor dx) {
        String op = "Pool.adaptiveAvgPool1x1Backward";
        DType dt = planes(op, "dx", dx);
        nonEmptyPlane(op, "dx", dx);
        planesOf(op, "gy", gy, dt);
        if (gy.size(0) != dx.size(0) || gy.size(1) != dx.size(1) || gy.size(2) != 1 || gy.size(3) != 1) {
            throw new IllegalArgumentException(op + ": gy " + gy.describe() + " must have shape [" + dx.size(0) + ", "
                    + dx.size(1) + ", 1, 1] for dx " + dx.describe());
        }
        TensorChecks.writable(op, "dx", dx);
        PoolTask t = PoolTask.get();
        planeSizes(t, dx, gy);
        t.mode = PoolTask.MEAN_BACKWARD;
        t.setIn(gy);
        t.setOut(dx);
        t.setIndices(null);
        run(t, dx.size(0), dx.size(1), t.h * t.w);
    }

    // ---------------------------------------------------------------- checks

    private static void run(PoolTask t, long n, long c, long workPerPlane) {
        t.channels = c;
        try {
            t.forUnits(n * c, workPerPlane);
        } finally {
            t.clear();
        }
    }

    /** A 4-D F32/F64 tensor [N, C, H, W]; returns its dtype. */
    private static DType planes(String op, String name, Tensor t) {
        DType dt = TensorChecks.floating(op, name, t);
        if (t.rank() != 4) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " must be 4-D [N, C, H, W]");
        }
        return dt;
    }

    private static void planesOf(String op, String name, Tensor t, DType dt) {
        TensorChecks.dtype(op, name, t, dt);
        if (t.rank() != 4) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " must be 4-D [N, C, H, W]");
        }
    }

    private static void nonEmptyPlane(String op, String name, Tensor t) {
        if (t.size(2) * t.size(3) == 0) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " has empty planes; the mean of"
                    + " nothing is undefined");
        }
    }

    /** Validates the window and stores the geometry of input x in this thread's task. */
    private static PoolTask geometry(String op, Tensor x, int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW) {
        if (kH < 1 || kW < 1 || sH < 1 || sW < 1 || dH < 1 || dW < 1 || pH < 0 || pW < 0 || pH > kH / 2 || pW > kW / 2) {
            throw new IllegalArgumentException(op + ": kernel (" + kH + ", " + kW + "), stride (" + sH + ", " + sW
                    + "), padding (" + pH + ", " + pW + "), dilation (" + dH + ", " + dW + "); expected kernel, stride and"
                    + " dilation >= 1 and 0 <= padding <= kernel / 2");
        }
        PoolTask t = PoolTask.get();
        t.f32 = x.dtype() == DType.F32;
        t.h = x.size(2);
        t.w = x.size(3);
        t.ho = Conv.outSize(op, t.h, kH, sH, pH, dH);
        t.wo = Conv.outSize(op, t.w, kW, sW, pW, dW);
        t.kh = kH;
        t.kw = kW;
        t.sh = sH;
        t.sw = sW;
        t.ph = pH;
        t.pw = pW;
        t.dh = dH;
        t.dw = dW;
        return t;
    }

    private static void planeSizes(PoolTask t, Tensor in, Tensor out) {
        t.f32 = in.dtype() == DType.F32;
        t.h = in.size(2);
        t.w = in.size(3);
        t.ho = out.size(2);
        t.wo = out.size(3);
    }

    /** An output [N, C, ho, wo] of dtype dt for input x, not broadcast. */
    private static void output(String op, String name, Tensor t, Tensor x, long ho, long wo, DType dt) {
        TensorChecks.dtype(op, name, t, dt);
        if (t.rank() != 4 || t.size(0) != x.size(0) || t.size(1) != x.size(1) || t.size(2) != ho || t.size(3) != wo) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " must have shape [" + x.size(0) + ", "
                    + x.size(1) + ", " + ho + ", " + wo + "] for x " + x.describe());
        }
        TensorChecks.writable(op, name, t);
    }
}
