package dev.zerograd.kernels;

import static dev.zerograd.kernels.BlockRuns.mergedStride;
import static dev.zerograd.kernels.ConvBlas.gemm;
import static dev.zerograd.kernels.ConvBlas.inSlab;
import static dev.zerograd.kernels.ConvBlas.matrixLayout;
import static dev.zerograd.kernels.ConvBlas.noOverlap;
import static dev.zerograd.kernels.ConvBlas.weights;

import dev.zerograd.kernels.ConvBlas.Grads;
import dev.zerograd.kernels.ConvBlas.Operand;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * 2-D convolution (cross-correlation, as in every deep-learning library) of F32/F64 tensors in NCHW layout,
 * by im2col and OpenBLAS GEMM, with stride, zero padding, dilation, groups and bias, and its three
 * gradients.
 *
 * <pre>
 * y[n, o, i, j] = bias[o] + sum_{c, ki, kj} w[o, c, ki, kj] * x[n, g * Cg + c, i * sH - pH + ki * dH, j * sW - pW + kj * dW]
 * </pre>
 * where g = o / (Cout / groups), Cg = Cin / groups, and x is 0 outside the image.
 *
 * <p>Method: the columns of the images (Note [Column layout] in {@link Im2Col}) turn each group of the
 * convolution into a GEMM, {@code y_g = w_g @ cols_g} ({@code [Cout/groups, K] @ [K, columns]},
 * K = Cg kH kW). The weight gradient is {@code dw_g = gy_g @ cols_g^T} and the input gradient scatters
 * {@code w_g^T @ gy_g} back with col2im. A 1x1 convolution with stride 1 and no padding needs no columns:
 * x itself is the matrix.
 *
 * <p>Note [Batched GEMM]: y is NCHW, so the outputs of several images are not one matrix. Given room for a
 * chunk of B > 1 images, the kernels lay the chunk's columns side by side ({@code [K, B Ho Wo]}), run one
 * GEMM per group over the whole chunk into an output stage {@code [Cout, B Ho Wo]} and then move the stage
 * into y, adding the bias on the way (the gradient kernels gather gy into the stage first). With room for
 * one image (B = 1) the GEMMs read gy and write y in place, one image at a time, right after that image's
 * im2col, while its columns are still in cache. {@link #workspaceElements} asks for B = 1: on the
 * Fashion-MNIST CNN shapes one GEMM per image was as fast or faster. Single thread, CPU time, best of 90,
 * forward + both backward kernels: 28.6 ms per image, 29.0 ms in chunks of 16, 31.2 ms in one chunk of 64
 * for x[64, 32, 14, 14] * w[64, 32, 3, 3] (the GEMMs alone are 20-25% faster as one product, 8.7 against
 * 11.2 ms forward, but the stage pass and a working set beyond the caches give that back), and 4.4, 5.8,
 * 6.5 ms for x[64, 1, 28, 28] * w[32, 1, 3, 3]. On 2 threads the best wall times agreed (19.4 against
 * 30.3 ms forward for the 14x14 layer, per image against one chunk of 64); medians, taken while other
 * processes loaded the 2 cores, scattered too widely to rank the two. Chunks do make one OpenBLAS fork-join
 * per group per chunk instead of one per image; callers that want them size the workspace with
 * {@link #workspaceElements(Tensor, Tensor, int, int, int, int, int, int, int, long)} or, for a byte budget,
 * {@link #workspaceElementsWithin}. The tape's conv ops take chunks of about 2 MiB of workspace (Note
 * [Conv chunks] in the tape's ConvOps).
 *
 * <p>Note [Conv threads]: im2col, col2im, the stage moves and the bias fill run on the {@link Parallel} pool
 * over (image, channel) pairs; the GEMMs run on the calling thread, with OpenBLAS's own threads (Note
 * [Thread pools] in {@link Parallel}). The two never overlap. On more than one thread, the batched forward
 * and input-gradient kernels run whole chunks per thread instead, GEMMs included (Note [Conv slots] in
 * {@link ConvSlots}).
 *
 * <p>Note [Conv workspace]: the workspace is a contiguous tensor of the operands' dtype, laid out as
 * {@code [weight stage: Cout Cg kH kW][output stage: Cout B Ho Wo][columns: Cin kH kW B Ho Wo]}. The weight
 * stage holds a contiguous copy of w when its layout is not a BLAS matrix (no unit stride in either matrix
 * dim); the output stage holds the chunk's output or gradient (B > 1), or a contiguous copy of one image of
 * gy when B = 1 and gy is not a BLAS matrix (a broadcast gradient, say). So a workspace of
 * {@code Cout Cg kH kW + B (Cout + Cin kH kW) Ho Wo} elements serves chunks of B images. Every kernel
 * accepts any workspace with room for one image and splits the batch into equal chunks of the most images
 * that fit ({@code B = ceil(N / ceil(N / Bmax))}).
 */
public final class Conv {
    private Conv() {}

    // ---------------------------------------------------------------- sizes

    /**
     * Output size of a convolution or pooling window along one dim:
     * {@code (in + 2 pad - dil (k - 1) - 1) / stride + 1}.
     *
     * @throws IllegalArgumentException naming the sizes when a hyper-parameter is out of range (k, stride, dil
     *     at least 1, pad at least 0) or the padded input is smaller than the dilated kernel
     */
    public static long outSize(long in, int k, int stride, int pad, int dil) {
        return outSize("Conv.outSize", in, k, stride, pad, dil);
    }

    static long outSize(String op, long in, int k, int stride, int pad, int dil) {
        if (k < 1 || stride < 1 || pad < 0 || dil < 1 || in < 0) {
            throw new IllegalArgumentException(op + ": kernel " + k + ", stride " + stride + ", padding " + pad + ", dilation "
                    + dil + " on an input of size " + in + "; expected kernel, stride and dilation >= 1, padding >= 0");
        }
        long extent = (long) dil * (k - 1) + 1;
        long padded = in + 2L * pad;
        if (padded < extent) {
            throw new IllegalArgumentException(op + ": input size " + in + " with padding " + pad + " on each side (" + padded
                    + ") is smaller than the dilated kernel extent " + extent + " (kernel " + k + ", dilation " + dil
                    + "); the output would be empty");
        }
        return (padded - extent) / stride + 1;
    }

    /**
     * Elements of the workspace the conv2d kernels need, for one GEMM per image (Note [Conv workspace]):
     * {@code Cout (Cin / groups) kH kW + (Cout + Cin kH kW) Ho Wo}. Depends only on the shapes of x and w and
     * the hyper-parameters; the same size serves all four kernels.
     */
    public static long workspaceElements(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int dilH, int dilW,
                                         int groups) {
        return workspaceElements(x, w, strideH, strideW, padH, padW, dilH, dilW, groups, 1);
    }

    /**
     * Elements of a workspace for chunks of {@code imagesPerChunk} images (Note [Batched GEMM]):
     * {@code Cout (Cin / groups) kH kW + B (Cout + Cin kH kW) Ho Wo}, B = imagesPerChunk clamped to [1, N].
     */
    public static long workspaceElements(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int dilH, int dilW,
                                         int groups, long imagesPerChunk) {
        String op = "Conv.workspaceElements";
        Im2Col t = Im2Col.get();
        geometry(op, t, x, "x", w, "w", null, null, strideH, strideW, padH, padW, dilH, dilW, groups);
        return weightStage(t) + Math.max(1, Math.min(t.n, imagesPerChunk)) * perImage(t);
    }

    /**
     * Elements of the largest workspace of at most {@code maxElements} elements (Note [Batched GEMM]): chunks
     * of as many images as fit, at least one image ({@link #workspaceElements} for one image when not even
     * that fits) and at most the whole batch.
     */
    public static long workspaceElementsWithin(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW, int dilH,
                                               int dilW, int groups, long maxElements) {
        String op = "Conv.workspaceElementsWithin";
        Im2Col t = Im2Col.get();
        geometry(op, t, x, "x", w, "w", null, null, strideH, strideW, padH, padW, dilH, dilW, groups);
        long images = Math.max(1, Math.min(t.n, (maxElements - weightStage(t)) / perImage(t)));
        return weightStage(t) + chunk(t.n, images) * perImage(t);
    }

    /** Images per chunk when n images are split into equal chunks of at most {@code most} (at least 1). */
    static long chunk(long n, long most) {
        if (n <= 1 || most <= 1) {
            return 1;
        }
        return Math.ceilDiv(n, Math.ceilDiv(n, most));
    }

    /** Elements of the weight stage at the start of the workspace. */
    private static long weightStage(Im2Col t) {
        return t.cout * (t.cin / t.groups) * t.kh * t.kw;
    }

    /** Workspace elements per image of a chunk: its output stage and its columns. */
    private static long perImage(Im2Col t) {
        return (t.cout + t.cin * t.kh * t.kw) * t.ho * t.wo;
    }

    // ---------------------------------------------------------------- forward

    /**
     * {@code y = conv2d(x, w) + bias} (formula in the class comment). Modifies y and the workspace.
     *
     * @param x [N, Cin, H, W], F32/F64, any strides; not modified
     * @param w [Cout, Cin / groups, kH, kW], x's dtype, any strides; not modified
     * @param biasOrNull [Cout] or null; not modified
     * @param workspace contiguous, x's dtype, {@link #workspaceElements} elements (or any number with room for
     *     one image, Note [Conv workspace]); modified (scratch)
     * @param y [N, Cout, Ho, Wo], contiguous, x's dtype; Ho = {@link #outSize outSize(H, kH, strideH, padH,
     *     dilH)}; modified
     */
    public static void conv2d(Tensor x, Tensor w, Tensor biasOrNull, int strideH, int strideW, int padH, int padW, int dilH,
                              int dilW, int groups, Tensor workspace, Tensor y) {
        String op = "Conv.conv2d";
        DType dt = TensorChecks.floating(op, "x", x);
        TensorChecks.dtype(op, "w", w, dt);
        TensorChecks.dtype(op, "y", y, dt);
        Im2Col t = Im2Col.get();
        geometry(op, t, x, "x", w, "w", y, "y", strideH, strideW, padH, padW, dilH, dilW, groups);
        if (biasOrNull != null) {
            TensorChecks.dtype(op, "bias", biasOrNull, dt);
            if (biasOrNull.rank() != 1 || biasOrNull.size(0) != t.cout) {
                throw new IllegalArgumentException(op + ": bias " + biasOrNull.describe() + " must have shape [" + t.cout
                        + "] (one value per output channel of w " + w.describe() + ")");
            }
        }
        output(op, "y", y);
        long images = workspace(op, t, workspace, dt);
        inSlab(op, "x", x);
        inSlab(op, "w", w);
        noOverlap(op, "y", y, "x", x);
        noOverlap(op, "y", y, "w", w);
        noOverlap(op, "y", y, "bias", biasOrNull);
        noOverlap(op, "workspace", workspace, "x", x);
        noOverlap(op, "workspace", workspace, "w", w);
        noOverlap(op, "workspace", workspace, "bias", biasOrNull);
        noOverlap(op, "workspace", workspace, "y", y);
        if (t.n == 0) {
            return;
        }
        if (ConvDirect.applies(t)) {
            ConvDirect.get().forward(t, x.segment(), x.byteOffset(), x.stride(0), x.stride(2), x.stride(3), w.segment(),
                    w.byteOffset(), w.stride(0), w.stride(2), w.stride(3), biasOrNull == null ? null : biasOrNull.segment(),
                    biasOrNull == null ? 0 : biasOrNull.byteOffset(), biasOrNull == null ? 0 : biasOrNull.stride(0),
                    workspace.segment(), workspace.byteOffset(), workspace.numel(), y.segment(), y.byteOffset());
            return;
        }
        boolean f32 = dt == DType.F32;
        int esz = f32 ? 4 : 8;
        long cg = t.cin / t.groups, og = t.cout / t.groups, k = cg * t.kh * t.kw, p = t.ho * t.wo;
        MemorySegment ws = workspace.segment(), ys = y.segment(), xs = x.segment();
        long wsb = workspace.byteOffset(), yb = y.byteOffset();
        Operand wm = weights(t, w, ws, wsb, k);
        long stageB = wsb + weightStage(t) * esz;
        long xLd = pointwise(t) ? matrixLayout(cg, x.stride(1), p, mergedStride(x, 2)) : 0;
        t.bs = biasOrNull == null ? null : biasOrNull.segment();
        t.bBase = biasOrNull == null ? 0 : biasOrNull.byteOffset();
        t.bStride = biasOrNull == null ? 0 : biasOrNull.stride(0);
        t.ys = ys;
        t.yBase = yb;
        try {
            if (xLd != 0 || images == 1) {
                // One image at a time, GEMMs straight into y on top of the bias.
                double beta = 0;
                if (biasOrNull != null) {
                    t.runImages(Im2Col.FILL_BIAS, t.n);
                    beta = 1;
                }
                for (long n = 0; n < t.n; n++) {
                    long cols = xLd != 0 ? 0 : columns(t, x, n, 1, stageB + t.cout * p * esz, ws);
                    for (long g = 0; g < t.groups; g++) {
                        long yo = yb + (n * t.cout + g * og) * p * esz;
                        if (xLd != 0) {
                            long xo = x.byteOffset() + (n * x.stride(0) + g * cg * x.stride(1)) * esz;
                            gemm(op, f32, false, wm.ld, og, p, k, wm.s, wm.at(g * og, esz), false, xLd, xs, xo, beta, ys, yo, p);
                        } else {
                            gemm(op, f32, false, wm.ld, og, p, k, wm.s, wm.at(g * og, esz), false, p, ws, cols + g * k * p * esz,
                                    beta, ys, yo, p);
                        }
                    }
                }
                return;
            }
            // Note [Batched GEMM]: columns of a chunk -> stage [Cout, b P] -> y (+ bias).
            int slots = ConvSlots.slotsFor(ConvSlots.FORWARD, t, workspace.numel(), weightStage(t), perImage(t), 0);
            if (slots != 0) {
                ConvSlots.get().run(ConvSlots.FORWARD, slots, op, t, wm, k, perImage(t), ws, stageB, workspace.numel(),
                        weightStage(t), x, null, null, null);
                return;
            }
            for (long n0 = 0; n0 < t.n; n0 += images) {
                long b = Math.min(images, t.n - n0), bp = b * p;
                long cols = columns(t, x, n0, b, stageB + t.cout * bp * esz, ws);
                for (long g = 0; g < t.groups; g++) {
                    gemm(op, f32, false, wm.ld, og, bp, k, wm.s, wm.at(g * og, esz), false, bp, ws, cols + g * k * bp * esz,
                            0, ws, stageB + g * og * bp * esz, bp);
                }
                stage(t, ws, stageB, b);
                t.yBase = yb + n0 * t.cout * p * esz;
                t.runImages(Im2Col.SCATTER, b);
            }
        } finally {
            t.clear();
        }
    }

    /**
     * im2col of images {@code [n0, n0 + b)} of x into the workspace at byte {@code at}, per image (b = 1) or
     * batched (Note [Column layout] in {@link Im2Col}); returns {@code at}.
     */
    static long columns(Im2Col t, Tensor x, long n0, long b, long at, MemorySegment ws) {
        int esz = t.f32 ? 4 : 8;
        setImage(t, x.segment(), x.byteOffset() + n0 * x.stride(0) * esz, x);
        layout(t, ws, at, b);
        t.runImages(Im2Col.IM2COL, b);
        return at;
    }

    /** Column layout of a chunk of b images at byte {@code at}: per image when b = 1, batched otherwise. */
    static void layout(Im2Col t, MemorySegment ws, long at, long b) {
        long p = t.ho * t.wo;
        t.cs = ws;
        t.cBase = at;
        t.cRow = b * p;
        t.cImage = b == 1 ? t.cin * t.kh * t.kw * p : p;
    }

    static void stage(Im2Col t, MemorySegment ws, long at, long b) {
        t.ss = ws;
        t.sBase = at;
        t.images = b;
    }

    // ---------------------------------------------------------------- backward

    /**
     * {@code dx = d(sum gy * conv2d(x, w)) / dx}: {@code w_g^T @ gy_g} per group, scattered back to the input
     * positions by col2im. Overwrites dx. Modifies the workspace.
     *
     * @param gy [N, Cout, Ho, Wo], F32/F64, any strides; not modified
     * @param w [Cout, Cin / groups, kH, kW], any strides; not modified
     * @param dx [N, Cin, H, W], contiguous; modified
     */
    public static void conv2dBackwardInput(Tensor gy, Tensor w, int strideH, int strideW, int padH, int padW, int dilH,
                                           int dilW, int groups, Tensor workspace, Tensor dx) {
        String op = "Conv.conv2dBackwardInput";
        DType dt = TensorChecks.floating(op, "gy", gy);
        TensorChecks.dtype(op, "w", w, dt);
        TensorChecks.dtype(op, "dx", dx, dt);
        Im2Col t = Im2Col.get();
        geometry(op, t, dx, "dx", w, "w", gy, "gy", strideH, strideW, padH, padW, dilH, dilW, groups);
        output(op, "dx", dx);
        long images = workspace(op, t, workspace, dt);
        inSlab(op, "gy", gy);
        inSlab(op, "w", w);
        noOverlap(op, "dx", dx, "gy", gy);
        noOverlap(op, "dx", dx, "w", w);
        noOverlap(op, "workspace", workspace, "gy", gy);
        noOverlap(op, "workspace", workspace, "w", w);
        noOverlap(op, "workspace", workspace, "dx", dx);
        if (t.n == 0) {
            return;
        }
        boolean f32 = dt == DType.F32;
        int esz = f32 ? 4 : 8;
        long cg = t.cin / t.groups, og = t.cout / t.groups, k = cg * t.kh * t.kw, p = t.ho * t.wo;
        MemorySegment ws = workspace.segment(), dxs = dx.segment();
        long wsb = workspace.byteOffset(), dxb = dx.byteOffset();
        Operand wm = weights(t, w, ws, wsb, k);
        long stageB = wsb + weightStage(t) * esz;
        boolean direct = pointwise(t);
        try {
            if (direct || images == 1) {
                Grads gm = Grads.get();
                for (long n = 0; n < t.n; n++) {
                    gm.image(t, gy, n, ws, stageB, esz);
                    long cols = stageB + t.cout * p * esz;
                    for (long g = 0; g < t.groups; g++) {
                        // cols_g (dx_g itself for a 1x1 convolution) = w_g^T @ gy_g: [K, Og] @ [Og, P].
                        long co = direct ? dxb + (n * t.cin + g * cg) * p * esz : cols + g * k * p * esz;
                        gemm(op, f32, true, wm.ld, k, p, og, wm.s, wm.at(g * og, esz), false, gm.ld, gm.s, gm.at(g * og, esz),
                                0, direct ? dxs : ws, co, p);
                    }
                    if (!direct) {
                        setImage(t, dxs, dxb + n * t.cin * t.h * t.w * esz, dx);
                        layout(t, ws, cols, 1);
                        t.runImages(Im2Col.COL2IM, 1);
                    }
                }
                return;
            }
            int slots = ConvSlots.slotsFor(ConvSlots.BACKWARD_INPUT, t, workspace.numel(), weightStage(t), perImage(t), 0);
            if (slots != 0) {
                ConvSlots.get().run(ConvSlots.BACKWARD_INPUT, slots, op, t, wm, k, perImage(t), ws, stageB, workspace.numel(),
                        weightStage(t), null, gy, dx, null);
                return;
            }
            for (long n0 = 0; n0 < t.n; n0 += images) {
                long b = Math.min(images, t.n - n0), bp = b * p;
                gatherGrad(t, gy, n0, b, ws, stageB);
                long cols = stageB + t.cout * bp * esz;
                for (long g = 0; g < t.groups; g++) {
                    gemm(op, f32, true, wm.ld, k, bp, og, wm.s, wm.at(g * og, esz), false, bp, ws, stageB + g * og * bp * esz,
                            0, ws, cols + g * k * bp * esz, bp);
                }
                setImage(t, dxs, dxb + n0 * t.cin * t.h * t.w * esz, dx);
                layout(t, ws, cols, b);
                t.runImages(Im2Col.COL2IM, b);
            }
        } finally {
            t.clear();
        }
    }

    /**
     * {@code dw = d(sum gy * conv2d(x, w)) / dw = gy_g @ cols_g^T} per group, summed over the batch.
     * Overwrites dw. Modifies the workspace.
     *
     * @param gy [N, Cout, Ho, Wo], any strides; not modified
     * @param x [N, Cin, H, W], any strides; not modified
     * @param dw [Cout, Cin / groups, kH, kW], contiguous; modified
     */
    public static void conv2dBackwardWeight(Tensor gy, Tensor x, int strideH, int strideW, int padH, int padW, int dilH,
                                            int dilW, int groups, Tensor workspace, Tensor dw) {
        String op = "Conv.conv2dBackwardWeight";
        DType dt = TensorChecks.floating(op, "gy", gy);
        TensorChecks.dtype(op, "x", x, dt);
        TensorChecks.dtype(op, "dw", dw, dt);
        Im2Col t = Im2Col.get();
        geometry(op, t, x, "x", dw, "dw", gy, "gy", strideH, strideW, padH, padW, dilH, dilW, groups);
        output(op, "dw", dw);
        long images = workspace(op, t, workspace, dt);
        inSlab(op, "gy", gy);
        inSlab(op, "x", x);
        noOverlap(op, "dw", dw, "gy", gy);
        noOverlap(op, "dw", dw, "x", x);
        noOverlap(op, "workspace", workspace, "gy", gy);
        noOverlap(op, "workspace", workspace, "x", x);
        noOverlap(op, "workspace", workspace, "dw", dw);
        boolean f32 = dt == DType.F32;
        if (t.n == 0) {
            SpatialRows.fill(dw.segment(), dw.byteOffset(), 1, dw.numel(), 0, f32);
            return;
        }
        if (ConvDirect.applies(t) && gy.stride(3) == 1) {
            ConvDirect.get().weightGrad(t, gy.segment(), gy.byteOffset(), gy.stride(0), gy.stride(1), gy.stride(2), x.segment(),
                    x.byteOffset(), x.stride(0), x.stride(2), x.stride(3), workspace.segment(), workspace.byteOffset(),
                    workspace.numel(), dw.segment(), dw.byteOffset());
            return;
        }
        int esz = f32 ? 4 : 8;
        long cg = t.cin / t.groups, og = t.cout / t.groups, k = cg * t.kh * t.kw, p = t.ho * t.wo;
        MemorySegment ws = workspace.segment(), dws = dw.segment(), xs = x.segment();
        long wsb = workspace.byteOffset(), dwb = dw.byteOffset();
        long stageB = wsb + weightStage(t) * esz;
        long xLd = pointwise(t) ? matrixLayout(cg, x.stride(1), p, mergedStride(x, 2)) : 0;
        try {
            if (xLd != 0 || images == 1) {
                Grads gm = Grads.get();
                for (long n = 0; n < t.n; n++) {
                    double beta = n == 0 ? 0 : 1;
                    gm.image(t, gy, n, ws, stageB, esz);
                    long cols = xLd != 0 ? 0 : columns(t, x, n, 1, stageB + t.cout * p * esz, ws);
                    for (long g = 0; g < t.groups; g++) {
                        // dw_g += gy_g @ cols_g^T: [Og, P] @ [P, K].
                        long dwo = dwb + g * og * k * esz;
                        if (xLd != 0) {
                            long xo = x.byteOffset() + (n * x.stride(0) + g * cg * x.stride(1)) * esz;
                            gemm(op, f32, false, gm.ld, og, k, p, gm.s, gm.at(g * og, esz), true, xLd, xs, xo, beta, dws, dwo, k);
                        } else {
                            gemm(op, f32, false, gm.ld, og, k, p, gm.s, gm.at(g * og, esz), true, p, ws, cols + g * k * p * esz,
                                    beta, dws, dwo, k);
                        }
                    }
                }
                return;
            }
            int slots = ConvSlots.slotsFor(ConvSlots.BACKWARD_WEIGHT, t, workspace.numel(), weightStage(t), perImage(t), dw.numel());
            if (slots != 0) {
                ConvSlots.get().run(ConvSlots.BACKWARD_WEIGHT, slots, op, t, null, k, perImage(t), ws, stageB,
                        workspace.numel(), weightStage(t), x, gy, null, dw);
                return;
            }
            for (long n0 = 0; n0 < t.n; n0 += images) {
                long b = Math.min(images, t.n - n0), bp = b * p;
                gatherGrad(t, gy, n0, b, ws, stageB);
                long cols = columns(t, x, n0, b, stageB + t.cout * bp * esz, ws);
                double beta = n0 == 0 ? 0 : 1;
                for (long g = 0; g < t.groups; g++) {
                    gemm(op, f32, false, bp, og, k, bp, ws, stageB + g * og * bp * esz, true, bp, ws, cols + g * k * bp * esz,
                            beta, dws, dwb + g * og * k * esz, k);
                }
            }
        } finally {
            t.clear();
        }
    }

    /** {@code stage[o, b P + p] = gy[n0 + b, o, p]} for the chunk's b images (Note [Batched GEMM]). */
    static void gatherGrad(Im2Col t, Tensor gy, long n0, long b, MemorySegment ws, long at) {
        int esz = t.f32 ? 4 : 8;
        t.ys = gy.segment();
        t.yBase = gy.byteOffset() + n0 * gy.stride(0) * esz;
        t.ysN = gy.stride(0);
        t.ysC = gy.stride(1);
        t.ysH = gy.stride(2);
        t.ysW = gy.stride(3);
        stage(t, ws, at, b);
        t.runImages(Im2Col.GATHER, b);
    }

    /**
     * {@code db[o] = sum over n, i, j of gy[n, o, i, j]}, accumulated in double. Overwrites db.
     *
     * @param gy [N, Cout, Ho, Wo], F32/F64, any strides; not modified
     * @param db [Cout], contiguous; modified
     */
    public static void conv2dBackwardBias(Tensor gy, Tensor db) {
        String op = "Conv.conv2dBackwardBias";
        DType dt = TensorChecks.floating(op, "gy", gy);
        TensorChecks.dtype(op, "db", db, dt);
        if (gy.rank() != 4) {
            throw new IllegalArgumentException(op + ": gy " + gy.describe() + " must be 4-D [N, Cout, Ho, Wo]");
        }
        if (db.rank() != 1 || db.size(0) != gy.size(1)) {
            throw new IllegalArgumentException(op + ": db " + db.describe() + " must have shape [" + gy.size(1)
                    + "] (the channels of gy " + gy.describe() + ")");
        }
        output(op, "db", db);
        noOverlap(op, "db", db, "gy", gy);
        Norm.channelSums(op, gy, db);
    }

    // ---------------------------------------------------------------- geometry and checks

    /**
     * Validates the shapes of an x-like [N, Cin, H, W], a w-like [Cout, Cin / groups, kH, kW] and (when not
     * null) a y-like [N, Cout, Ho, Wo] tensor and the hyper-parameters, and stores the geometry in t.
     */
    private static void geometry(String op, Im2Col t, Tensor x, String xn, Tensor w, String wn, Tensor y, String yn,
                                 int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
        if (x.rank() != 4 || w.rank() != 4) {
            throw new IllegalArgumentException(op + ": " + xn + " " + x.describe() + " must be 4-D [N, Cin, H, W] and " + wn
                    + " " + w.describe() + " 4-D [Cout, Cin / groups, kH, kW]");
        }
        if (sh < 1 || sw < 1 || ph < 0 || pw < 0 || dh < 1 || dw < 1 || groups < 1) {
            throw new IllegalArgumentException(op + ": stride (" + sh + ", " + sw + "), padding (" + ph + ", " + pw
                    + "), dilation (" + dh + ", " + dw + "), groups " + groups
                    + "; expected strides, dilations and groups >= 1 and paddings >= 0");
        }
        long cin = x.size(1), cout = w.size(0);
        if (cin == 0 || cout == 0 || cin % groups != 0 || cout % groups != 0 || w.size(1) * groups != cin) {
            throw new IllegalArgumentException(op + ": " + xn + " " + x.describe() + " and " + wn + " " + w.describe()
                    + " do not fit groups " + groups + ": expected Cin (" + cin + ") and Cout (" + cout
                    + ") to be positive multiples of groups and " + wn + ".size(1) = Cin / groups");
        }
        if (w.size(2) > Integer.MAX_VALUE || w.size(3) > Integer.MAX_VALUE || w.size(2) == 0 || w.size(3) == 0) {
            throw new IllegalArgumentException(op + ": " + wn + " " + w.describe() + " has an empty or oversized kernel");
        }
        t.n = x.size(0);
        t.cin = cin;
        t.h = x.size(2);
        t.w = x.size(3);
        t.cout = cout;
        t.kh = w.size(2);
        t.kw = w.size(3);
        t.sh = sh;
        t.sw = sw;
        t.ph = ph;
        t.pw = pw;
        t.dh = dh;
        t.dw = dw;
        t.groups = groups;
        t.ho = outSize(op, t.h, (int) t.kh, sh, ph, dh);
        t.wo = outSize(op, t.w, (int) t.kw, sw, pw, dw);
        if (y != null && (y.rank() != 4 || y.size(0) != t.n || y.size(1) != cout || y.size(2) != t.ho || y.size(3) != t.wo)) {
            throw new IllegalArgumentException(op + ": " + yn + " " + y.describe() + " must have shape [" + t.n + ", " + cout
                    + ", " + t.ho + ", " + t.wo + "] for " + xn + " " + x.describe() + ", " + wn + " " + w.describe()
                    + ", stride (" + sh + ", " + sw + "), padding (" + ph + ", " + pw + "), dilation (" + dh + ", " + dw + ")");
        }
        t.f32 = x.dtype() == DType.F32;
    }

    private static void output(String op, String name, Tensor t) {
        TensorChecks.contiguous(op, name, t);
        inSlab(op, name, t);
    }

    /** Checks the workspace and returns how many images a chunk can hold (Note [Conv workspace]). */
    private static long workspace(String op, Im2Col t, Tensor ws, DType dt) {
        TensorChecks.dtype(op, "workspace", ws, dt);
        TensorChecks.contiguous(op, "workspace", ws);
        long stage = weightStage(t), perImage = perImage(t);
        if (ws.numel() < stage + perImage) {
            throw new IllegalArgumentException(op + ": workspace " + ws.describe() + " has " + ws.numel()
                    + " elements; expected at least Conv.workspaceElements = " + (stage + perImage) + " (weight stage "
                    + stage + " + one image's output stage and columns " + perImage + ")");
        }
        inSlab(op, "workspace", ws);
        return chunk(t.n, (ws.numel() - stage) / perImage);
    }

    /** A 1x1 convolution with stride 1 and no padding: the columns are the image itself. */
    private static boolean pointwise(Im2Col t) {
        return t.kh == 1 && t.kw == 1 && t.sh == 1 && t.sw == 1 && t.ph == 0 && t.pw == 0;
    }

    static void setImage(Im2Col t, MemorySegment s, long base, Tensor img) {
        t.is = s;
        t.iBase = base;
        t.isN = img.stride(0);
        t.isC = img.stride(1);
        t.isH = img.stride(2);
        t.isW = img.stride(3);
    }

}
