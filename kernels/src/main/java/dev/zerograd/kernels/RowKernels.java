package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Row loops of the reduction, softmax, loss and indexing kernels: one strided row of F32 or F64 elements,
 * addressed by a segment, a byte offset and a stride in elements.
 *
 * <p>Note [Staged blocks]: a row is processed in blocks of up to {@link WalkScratch#BLOCK} elements. Each
 * block is copied (widened, for F32) into a per-thread {@code double[]}, {@link BlockMath} computes on the
 * doubles, and results are copied back (rounded once, for F32). So the arithmetic is written once, for
 * double, whatever the dtype and stride (see Note [Vector compile units] in BlockMath for why that matters
 * to C2), and F32 data is summed in double: the sum of n floats carries a relative error near n * 2^-53
 * instead of n * 2^-24. The copies run in L1: a contiguous F64 block is one bulk copy, a contiguous F32
 * block one vector conversion loop.
 */
final class RowKernels {
    private RowKernels() {}

    static final int SUM = BlockMath.SUM, SQDEV = BlockMath.SQDEV, MAX = BlockMath.MAX, MIN = BlockMath.MIN;

    private static final int B = WalkScratch.BLOCK;

    // ---------------------------------------------------------------- elements and staging

    static double get(MemorySegment s, boolean f32, long off) {
        return f32 ? s.get(JAVA_FLOAT_UNALIGNED, off) : s.get(JAVA_DOUBLE_UNALIGNED, off);
    }

    static void set(MemorySegment s, boolean f32, long off, double v) {
        if (f32) {
            s.set(JAVA_FLOAT_UNALIGNED, off, (float) v);
        } else {
            s.set(JAVA_DOUBLE_UNALIGNED, off, v);
        }
    }

    static int bytes(boolean f32) {
        return f32 ? 4 : 8;
    }

    /** {@code dst[i] = row[i]} for {@code i < n <= BLOCK}, the row at byte {@code off} with the given element stride. */
    static void load(MemorySegment s, boolean f32, long off, long stride, double[] dst, int n) {
        if (stride == 1 && !f32) {
            MemorySegment.copy(s, JAVA_DOUBLE_UNALIGNED, off, dst, 0, n);
        } else if (stride == 1) {
            int i = BlockMath.vectorOn() ? BlockMath.widenV(s, off, dst, n) : 0;
            for (; i < n; i++) {
                dst[i] = s.get(JAVA_FLOAT_UNALIGNED, off + 4L * i);
            }
        } else {
            long step = stride * bytes(f32);
            for (int i = 0; i < n; i++, off += step) {
                dst[i] = get(s, f32, off);
            }
        }
    }

    /** {@code row[i] = src[i]} for {@code i < n <= BLOCK}, rounded to float for F32. */
    static void store(double[] src, int n, MemorySegment s, boolean f32, long off, long stride) {
        if (stride == 1 && !f32) {
            MemorySegment.copy(src, 0, s, JAVA_DOUBLE_UNALIGNED, off, n);
        } else if (stride == 1) {
            int i = BlockMath.vectorOn() ? BlockMath.narrowV(src, n, s, off) : 0;
            for (; i < n; i++) {
                s.set(JAVA_FLOAT_UNALIGNED, off + 4L * i, (float) src[i]);
            }
        } else {
            long step = stride * bytes(f32);
            for (int i = 0; i < n; i++, off += step) {
                set(s, f32, off, src[i]);
            }
        }
    }

    // ---------------------------------------------------------------- reductions

    static double identity(int op) {
        return BlockMath.identity(op);
    }

    static double combine(int op, double a, double b) {
        return BlockMath.combine(op, a, b);
    }

    /** Reduction {@code op} (SUM, SQDEV with mean mu, MAX, MIN) over the {@code n} elements at {@code off, off + stride, ...}. */
    static double reduce(int op, MemorySegment s, boolean f32, long off, long n, long stride, double mu, WalkScratch w) {
        double r = BlockMath.identity(op);
        double[] a = w.a;
        long step = stride * bytes(f32) * B;
        for (long i = 0; i < n; i += B, off += step) {
            int len = (int) Math.min(B, n - i);
            load(s, f32, off, stride, a, len);
            r = BlockMath.combine(op, r, BlockMath.reduce(op, a, a, len, mu));
        }
        return r;
    }

    /**
     * {@code acc[j] = acc[j] op x[j]} for {@code j < len <= BLOCK} over the contiguous elements at {@code off};
     * for SQDEV the element is {@code (x[j] - mu[j])^2}.
     */
    static void accumulate(int op, double[] acc, double[] mu, int len, MemorySegment s, boolean f32, long off, WalkScratch w) {
        double[] a = w.a;
        load(s, f32, off, 1, a, len);
        switch (op) {
            case SUM -> BlockMath.map(BlockMath.ADD, acc, a, acc, len, 0, 0);
            case MAX -> BlockMath.map(BlockMath.MAXIMUM, acc, a, acc, len, 0, 0);
            case MIN -> BlockMath.map(BlockMath.MINIMUM, acc, a, acc, len, 0, 0);
            default -> {
                BlockMath.map(BlockMath.SUB, a, mu, w.b, len, 0, 0);
                BlockMath.map(BlockMath.ADD_SQUARE, acc, w.b, acc, len, 0, 0);
            }
        }
    }

    // ---------------------------------------------------------------- maps

    static final int EXP_SHIFT = BlockMath.EXP_SHIFT, AFFINE = BlockMath.AFFINE, SOFTMAX_BWD = BlockMath.SOFTMAX_BWD,
            LOG_SOFTMAX_BWD = BlockMath.LOG_SOFTMAX_BWD, SCALED_EXP = BlockMath.SCALED_EXP, ADD = BlockMath.ADD;

    /**
     * {@code out[i] = f(a[i], b[i])} for {@code i < n} over rows of one dtype, f one of BlockMath's maps (b
     * ignored by the modes that do not read it); returns the sum of the outputs for EXP_SHIFT, else 0. out may
     * be a or b.
     */
    static double map(int mode, boolean f32, long n, double c, double c2,
                      MemorySegment as, long ao, long astr, MemorySegment bs, long bo, long bstr,
                      MemorySegment os, long oo, long ostr, WalkScratch w) {
        int esz = bytes(f32);
        boolean usesB = mode == SOFTMAX_BWD || mode == LOG_SOFTMAX_BWD || mode == ADD;
        double[] a = w.a, b = w.b, o = w.o;
        double sum = 0;
        for (long i = 0; i < n; i += B) {
            int len = (int) Math.min(B, n - i);
            load(as, f32, ao + i * astr * esz, astr, a, len);
            if (usesB) {
                load(bs, f32, bo + i * bstr * esz, bstr, b, len);
            }
            sum += BlockMath.map(mode, a, b, o, len, c, c2);
            store(o, len, os, f32, oo + i * ostr * esz, ostr);
        }
        return sum;
    }

    static final int EXP_SUM = BlockMath.EXP_SUM, DOT = BlockMath.DOT;

    /** Returns {@code sum_i f(a[i], b[i])} over {@code n} elements for EXP_SUM (with c) or DOT; b is ignored by EXP_SUM. */
    static double sum(int mode, boolean f32, long n, double c, MemorySegment as, long ao, long astr,
                      MemorySegment bs, long bo, long bstr, WalkScratch w) {
        int esz = bytes(f32);
        double[] a = w.a, b = w.b;
        double sum = 0;
        for (long i = 0; i < n; i += B) {
            int len = (int) Math.min(B, n - i);
            load(as, f32, ao + i * astr * esz, astr, a, len);
            if (mode == DOT) {
                load(bs, f32, bo + i * bstr * esz, bstr, b, len);
            }
            sum += BlockMath.reduce(mode, a, b, len, c);
        }
        return sum;
    }
}
