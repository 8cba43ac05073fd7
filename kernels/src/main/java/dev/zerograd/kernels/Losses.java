package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Fused losses. Cross-entropy over logits {@code [N, C]} (classes along dim 1) with integer labels
 * {@code [N]} (I32 or I64), label smoothing s and an ignored label value:
 * <pre>
 *   logp    = log_softmax(logits, dim 1)
 *   loss_i  = -((1 - s) * logp[i, y_i] + s / C * sum_c logp[i, c])       for rows with y_i != ignoreIndex
 *   loss    = sum_i loss_i  (REDUCTION_SUM)   or   sum_i loss_i / count  (REDUCTION_MEAN)
 *   dloss/dlogits[i, c] = scale * (softmax[i, c] - ((1 - s) * [c == y_i] + s / C)),  0 on ignored rows
 * </pre>
 * with count the number of rows not ignored and scale = g / count (mean) or g (sum), g the upstream
 * gradient. A mean over zero counted rows is NaN (0/0), as in PyTorch.
 */
public final class Losses {
    private Losses() {}

    /** Reduction code: sum over the counted rows. */
    public static final int REDUCTION_SUM = 0;
    /** Reduction code: mean over the counted rows. */
    public static final int REDUCTION_MEAN = 1;
    /** ignoreIndex value meaning that no label is ignored. */
    public static final long NO_IGNORE = Long.MIN_VALUE;

    /**
     * Cross-entropy forward.
     *
     * @param logits {@code [N, C]} F32/F64, any strides; not modified
     * @param labels {@code [N]} I32/I64, each in {@code [0, C)} or equal to {@code ignoreIndex}; not modified
     * @param smoothing label smoothing s in [0, 1)
     * @param ignoreIndex label value whose rows contribute nothing ({@link #NO_IGNORE} for none)
     * @param reduction {@link #REDUCTION_SUM} or {@link #REDUCTION_MEAN}
     * @param logProbsOut {@code [N, C]} contiguous, logits' dtype; modified: log_softmax(logits), kept for backward
     * @param lossOut rank 0, logits' dtype; modified: the loss
     */
    public static void crossEntropy(Tensor logits, Tensor labels, double smoothing, long ignoreIndex, int reduction,
                                    Tensor logProbsOut, Tensor lossOut) {
        String op = "Losses.crossEntropy";
        DType dt = checkLogits(op, "logits", logits, labels, smoothing, reduction);
        TensorChecks.dtype(op, "logProbsOut", logProbsOut, dt);
        TensorChecks.contiguous(op, "logProbsOut", logProbsOut);
        TensorChecks.sameShape(op, "logProbsOut", logProbsOut, "logits", logits);
        checkScalar(op, "lossOut", lossOut, dt);
        long count = countRows(op, labels, logits.size(1), ignoreIndex);
        Softmax.logSoftmax(logits, 1, logProbsOut);

        boolean f32 = dt == DType.F32;
        int esz = RowKernels.bytes(f32);
        long n = logits.size(0), c = logits.size(1);
        MemorySegment ls = logProbsOut.segment();
        long lb = logProbsOut.byteOffset();
        WalkScratch w = BlockMath.enter(logits.numel());
        double total = 0;
        for (long i = 0; i < n; i++) {
            long y = label(labels, i);
            if (y == ignoreIndex) {
                continue;
            }
            long row = lb + i * c * esz;
            double t = (1 - smoothing) * RowKernels.get(ls, f32, row + y * esz);
            if (smoothing != 0) {
                t += smoothing / c * RowKernels.reduce(RowKernels.SUM, ls, f32, row, c, 1, 0, w);
            }
            total -= t;
        }
        RowKernels.set(lossOut.segment(), f32, lossOut.byteOffset(), reduction == REDUCTION_MEAN ? total / count : total);
    }

    /**
     * Cross-entropy backward: {@code gradLogitsOut = scale * (exp(logProbs) - target)}, zero on ignored rows.
     *
     * @param gLoss rank 0, the upstream gradient of the loss; not modified
     * @param logProbs {@code [N, C]} the log_softmax saved by {@link #crossEntropy}, any strides; not modified
     * @param gradLogitsOut {@code [N, C]} contiguous; modified
     */
    public static void crossEntropyBackward(Tensor gLoss, Tensor logProbs, Tensor labels, double smoothing, long ignoreIndex,
                                            int reduction, Tensor gradLogitsOut) {
        String op = "Losses.crossEntropyBackward";
        DType dt = checkLogits(op, "logProbs", logProbs, labels, smoothing, reduction);
        checkScalar(op, "gLoss", gLoss, dt);
        TensorChecks.dtype(op, "gradLogitsOut", gradLogitsOut, dt);
        TensorChecks.contiguous(op, "gradLogitsOut", gradLogitsOut);
        TensorChecks.sameShape(op, "gradLogitsOut", gradLogitsOut, "logProbs", logProbs);
        long n = logProbs.size(0), c = logProbs.size(1);
        long count = countRows(op, labels, c, ignoreIndex);

        boolean f32 = dt == DType.F32;
        int esz = RowKernels.bytes(f32);
        double g = RowKernels.get(gLoss.segment(), f32, gLoss.byteOffset());
        double scale = reduction == REDUCTION_MEAN ? g / count : g;
        MemorySegment ls = logProbs.segment(), os = gradLogitsOut.segment();
        long lb = logProbs.byteOffset(), ob = gradLogitsOut.byteOffset();
        long ls0 = logProbs.stride(0), ls1 = logProbs.stride(1);
        WalkScratch w = BlockMath.enter(logProbs.numel());
        for (long i = 0; i < n; i++) {
            long y = label(labels, i);
            long orow = ob + i * c * esz;
            if (y == ignoreIndex) {
                for (long j = 0; j < c; j++) {
                    RowKernels.set(os, f32, orow + j * esz, 0);
                }
                continue;
            }
            long lrow = lb + i * ls0 * esz;
            // scale * exp(logp) - scale * s / C everywhere, then - scale * (1 - s) at the label.
            RowKernels.map(RowKernels.SCALED_EXP, f32, c, scale, -scale * smoothing / c, ls, lrow, ls1, ls, lrow, ls1, os, orow, 1, w);
            long at = orow + y * esz;
            RowKernels.set(os, f32, at, RowKernels.get(os, f32, at) - scale * (1 - smoothing));
        }
    }

    // ---------------------------------------------------------------- checks

    private static DType checkLogits(String op, String name, Tensor logits, Tensor labels, double smoothing, int reduction) {
        DType dt = TensorChecks.floating(op, name, logits);
        if (logits.rank() != 2) {
            throw new IllegalArgumentException(op + ": " + name + " " + logits.describe() + " must be 2-D [N, C]");
        }
        TensorChecks.integer(op, "labels", labels);
        if (labels.rank() != 1 || labels.size(0) != logits.size(0)) {
            throw new IllegalArgumentException(op + ": labels " + labels.describe() + " must be 1-D [N] with N = "
                    + logits.size(0) + " (the rows of " + name + " " + logits.describe() + ")");
        }
        if (!(smoothing >= 0 && smoothing < 1)) {
            throw new IllegalArgumentException(op + ": label smoothing " + smoothing + " must be in [0, 1)");
        }
        if (reduction != REDUCTION_SUM && reduction != REDUCTION_MEAN) {
            throw new IllegalArgumentException(op + ": reduction " + reduction + " must be REDUCTION_SUM (0) or REDUCTION_MEAN (1)");
        }
        return dt;
    }

    private static void checkScalar(String op, String name, Tensor t, DType dt) {
        TensorChecks.dtype(op, name, t, dt);
        if (t.rank() != 0) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " must be a rank-0 tensor");
        }
    }

    /** Validates every label and returns how many rows are not ignored. */
    private static long countRows(String op, Tensor labels, long c, long ignoreIndex) {
        long count = 0;
        for (long i = 0, n = labels.size(0); i < n; i++) {
            long y = label(labels, i);
            if (y == ignoreIndex) {
                continue;
            }
            if (y < 0 || y >= c) {
                throw new IllegalArgumentException(op + ": label " + y + " at index " + i + " of labels " + labels.describe()
                        + " is outside [0, C) with C = " + c
                        + (ignoreIndex == NO_IGNORE ? "" : " and is not the ignore index " + ignoreIndex));
            }
            count++;
        }
        return count;
    }

    private static long label(Tensor labels, long i) {
        long off = labels.byteOffset() + i * labels.stride(0) * labels.dtype().byteSize();
        MemorySegment s = labels.segment();
        return labels.dtype() == DType.I64 ? s.get(ValueLayout.JAVA_LONG_UNALIGNED, off) : s.get(ValueLayout.JAVA_INT_UNALIGNED, off);
    }
}
