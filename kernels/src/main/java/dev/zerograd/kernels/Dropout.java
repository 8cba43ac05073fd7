package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Philox;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Inverted dropout with a counter-based mask: element i (row-major position in x) is kept when
 * {@code Philox.uniformDouble(seed, i, stream) >= p} and then scaled by {@code 1 / (1 - p)}, so
 * {@code E[y] = x}. The mask is a pure function of (seed, stream, i): the same for F32 and F64, for any
 * strides, and for any number of threads and split of the work, and the backward rule is
 * {@code dx = gy * mask} (an elementwise product the tape composes).
 */
public final class Dropout {
    private Dropout() {}

    private static final ThreadLocal<Task> LOCAL = ThreadLocal.withInitial(Task::new);

    /** A Philox block costs about 10 multiply rounds: worth a region from a few thousand elements. */
    private static final long GRAIN = 4096;

    /**
     * {@code mask[i] = Philox.uniformDouble(seed, i, stream) >= p ? 1 / (1 - p) : 0} and {@code y = x * mask}
     * (so a dropped NaN or infinity stays NaN, as in PyTorch). p == 0 keeps everything (mask all ones).
     *
     * @param x F32/F64, any strides; not modified
     * @param p the drop probability, in [0, 1)
     * @param mask x's shape and dtype, contiguous; modified
     * @param y x's shape and dtype, contiguous (may be x itself when x is contiguous); modified
     */
    public static void dropout(Tensor x, double p, long seed, int stream, Tensor mask, Tensor y) {
        String op = "Dropout.dropout";
        DType dt = TensorChecks.floating(op, "x", x);
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException(op + ": drop probability p = " + p + " must be in [0, 1)");
        }
        TensorChecks.dtype(op, "mask", mask, dt);
        TensorChecks.dtype(op, "y", y, dt);
        TensorChecks.sameShape(op, "mask", mask, "x", x);
        TensorChecks.sameShape(op, "y", y, "x", x);
        TensorChecks.contiguous(op, "mask", mask);
        TensorChecks.contiguous(op, "y", y);
        if (mask.segment().address() == y.segment().address() && Math.abs(mask.byteOffset() - y.byteOffset()) < y.byteSize()
                && y.numel() > 0) {
            throw new IllegalArgumentException(op + ": mask " + mask.describe() + " and y " + y.describe()
                    + " overlap in memory; expected distinct outputs");
        }
        Task t = LOCAL.get();
        t.f32 = dt == DType.F32;
        t.p = p;
        t.scale = 1.0 / (1.0 - p);
        t.seed = seed;
        t.stream = stream;
        t.x = x;
        t.xs = x.segment();
        t.ms = mask.segment();
        t.ys = y.segment();
        t.mBase = mask.byteOffset();
        t.yBase = y.byteOffset();
        try {
            long n = x.numel();
            if (n <= GRAIN) {
                t.run(0, n);
            } else {
                Parallel.forRange(n, GRAIN, t);
            }
        } finally {
            t.x = null;
            t.xs = t.ms = t.ys = null;
        }
    }

    /** The elements {@code [from, to)} in row-major order; x is read through its strides row by row. */
    private static final class Task implements Parallel.RangeTask {
        boolean f32;
        double p, scale;
        long seed;
        int stream;
        Tensor x;
        MemorySegment xs, ms, ys;
        long mBase, yBase;

        @Override
        public void run(long from, long to) {
            if (to <= from) {
                return;
            }
            int esz = f32 ? 4 : 8;
            int r = x.rank();
            long xb = x.byteOffset();
            if (r == 0 || x.isContiguous()) {
                row(from, to, xb + from * esz, 1, esz);
                return;
            }
            long last = x.size(r - 1), ls = x.stride(r - 1);
            long i = from;
            while (i < to) {
                long col = i % last;
                long end = Math.min(to, i - col + last);
                // Offset of the row of element i: decompose the row index over the leading dims.
                long off = BlockRuns.leadingOffset(x, r - 1, i / last) + col * ls;
                row(i, end, xb + off * esz, ls, esz);
                i = end;
            }
        }

        /** Elements [i, end) of the output, whose x values start at byte xo with stride xst elements. */
        private void row(long i, long end, long xo, long xst, int esz) {
            long xstep = xst * esz;
            for (; i < end; i++, xo += xstep) {
                double m = p == 0 || Philox.uniformDouble(seed, i, stream) >= p ? scale : 0;
                long at = i * esz;
                SpatialRows.set(ms, f32, mBase + at, m);
                SpatialRows.set(ys, f32, yBase + at, SpatialRows.get(xs, f32, xo) * m);
            }
        }
    }
}
