package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The small-tensor fast path of {@link Reduce#sum} and {@link Reduce#sumTo}: a contiguous input of at most
 * {@value #MAX} elements reduced over a prefix of its dims (the gradient of a broadcast bias), a suffix (row
 * sums) or all of them, into a contiguous output of the same dtype. One scalar loop, accumulated in double
 * like the general path, with no planning and no Vector API (see Note [Small tensors] in
 * {@link SmallKernels}).
 */
final class SmallReduce {
    private SmallReduce() {}

    static final long MAX = 1 << 16;

    /**
     * Sums x over the dims in {@code mask} into out, whose elements are the kept dims in order (any size-1
     * dims in between), when the call fits the fast path; returns false (having done nothing) otherwise.
     */
    static boolean sum(Tensor x, int mask, Tensor out) {
        DType dt = x.dtype();
        if ((dt != DType.F32 && dt != DType.F64) || out.dtype() != dt || !x.isContiguous() || !out.isContiguous()
                || x.numel() > MAX || x.numel() == 0) {
            return false;
        }
        int r = x.rank();
        // kept = product of kept dims; the reduced dims must form a prefix or a suffix of the non-unit dims
        long kept = 1;
        int firstReduced = -1;
        int lastReduced = -1;
        int firstKept = -1;
        int lastKept = -1;
        for (int d = 0; d < r; d++) {
            if (x.size(d) == 1) {
                continue;
            }
            if ((mask & (1 << d)) != 0) {
                if (firstReduced < 0) {
                    firstReduced = d;
                }
                lastReduced = d;
            } else {
                kept *= x.size(d);
                if (firstKept < 0) {
                    firstKept = d;
                }
                lastKept = d;
            }
        }
        if (out.numel() != kept) {
            return false;
        }
        long n = x.numel();
        boolean prefix = firstKept < 0 || firstReduced < 0 || lastReduced < firstKept;
        boolean suffix = !prefix && lastKept < firstReduced;
        if (!prefix && !suffix) {
            return false;
        }
        boolean f32 = dt == DType.F32;
        long es = f32 ? 4 : 8;
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        long xo = x.byteOffset();
        long oo = out.byteOffset();
        if (prefix) {
            // x is [rows, kept]: out[j] = sum_r x[r, j], summed in row order; x is read row by row, a block of
            // adjacent columns at a time, into double accumulators (a column walk would stride through memory)
            long rows = n / kept;
            double[] acc = WalkScratch.get().acc;
            for (long j0 = 0; j0 < kept; j0 += WalkScratch.BLOCK) {
                int w = (int) Math.min(WalkScratch.BLOCK, kept - j0);
                Arrays.fill(acc, 0, w, 0.0);
                for (long row = 0; row < rows; row++) {
                    long base = xo + (row * kept + j0) * es;
                    for (int j = 0; j < w; j++) {
                        acc[j] += RowKernels.get(xs, f32, base + j * es);
                    }
                }
                for (int j = 0; j < w; j++) {
                    RowKernels.set(os, f32, oo + (j0 + j) * es, acc[j]);
                }
            }
        } else {
            // x is [kept, cols]: out[i] = sum_c x[i, c]
            long cols = n / kept;
            for (long i = 0; i < kept; i++) {
                double s = 0;
                long base = xo + i * cols * es;
                for (long c = 0; c < cols; c++) {
                    s += RowKernels.get(xs, f32, base + c * es);
                }
                RowKernels.set(os, f32, oo + i * es, s);
            }
        }
        return true;
    }


}
