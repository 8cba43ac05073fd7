package dev.zerograd.kernels;

import static dev.zerograd.kernels.RowKernels.MAX;
import static dev.zerograd.kernels.RowKernels.MIN;
import static dev.zerograd.kernels.RowKernels.SQDEV;
import static dev.zerograd.kernels.RowKernels.SUM;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Device;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reductions of F32/F64 tensors: sum, mean, variance, max/min (with or without indices), the backward of
 * broadcasting ({@link #sumTo}) and whole-tensor sums returned as doubles. Inputs may have any strides,
 * including 0 (broadcast views).
 *
 * <p>Output shapes: a reduction over the dims in mask {@code dims} (bit d set = reduce dim d) writes a
 * contiguous {@code out} in keepdim layout (x's rank, reduced dims of size 1). The same elements without the
 * reduced dims (x's rank minus the reduced dims) are accepted too, since the bytes are identical.
 *
 * <p>Precision: everything accumulates in double, F32 included (Note [Staged blocks] in {@link RowKernels});
 * a sum of 10^7 F32 ones is exactly 10^7. Variance is two-pass: the mean first, then the sum of squared
 * deviations from it, which avoids the cancellation of {@code E[x^2] - E[x]^2}.
 *
 * <p>Note [Reduction walk]: kept dims and reduced dims each become one {@link DimWalker} (coalesced, size-1
 * dims dropped; reduced dims ordered by decreasing stride so the innermost is the unit-stride one when there
 * is one). When x's unit-stride dim is reduced, each output is one pass over rows (a row reduction); when it
 * is kept (sums over a batch dim, as in bias gradients), blocks of {@link WalkScratch#BLOCK} adjacent outputs
 * accumulate together while the reduced dims are walked, so x is read sequentially either way.
 */
public final class Reduce {
    private Reduce() {}

    private static final int K_SUM = 0, K_MEAN = 1, K_VAR = 2, K_MAX = 3, K_MIN = 4;

    /**
     * {@code out = sum of x over the dims in mask}; mask 0 copies. Empty reductions give 0.
     *
     * @param x not modified
     * @param out modified: keepdim layout, contiguous, x's dtype
     */
    public static void sum(Tensor x, int dims, Tensor out) {
        if (keepdimShape(x, dims, out) && SmallReduce.sum(x, dims, out)) {
            return;
        }
        run("Reduce.sum", K_SUM, x, dims, out, 0);
    }

    /** {@code out = mean of x over the dims in mask}; an empty reduction gives NaN (0/0). Modifies out. */
    public static void mean(Tensor x, int dims, Tensor out) {
        run("Reduce.mean", K_MEAN, x, dims, out, 0);
    }

    /**
     * {@code out = sum (x - mean)^2 / max(0, n - correction)} over the dims in mask, n the number of reduced
     * elements: correction 0 is the population variance, 1 Bessel's. n <= correction gives NaN or +inf,
     * as division by zero does. Modifies out.
     */
    public static void var(Tensor x, int dims, double correction, Tensor out) {
        if (!(correction >= 0) || Double.isInfinite(correction)) {
            throw new IllegalArgumentException("Reduce.var: correction " + correction + " must be finite and >= 0");
        }
        run("Reduce.var", K_VAR, x, dims, out, correction);
    }

    /** Max over the dims in mask (no indices), NaN-propagating; an empty reduction is an error. Modifies out. */
    public static void maxAll(Tensor x, int dims, Tensor out) {
        run("Reduce.maxAll", K_MAX, x, dims, out, 0);
    }

    /** Min over the dims in mask (no indices), NaN-propagating; an empty reduction is an error. Modifies out. */
    public static void minAll(Tensor x, int dims, Tensor out) {
        run("Reduce.minAll", K_MIN, x, dims, out, 0);
    }

    /**
     * {@code out = max of x along dim} and, when {@code indicesOrNull} is given, the position of the max
     * (I64, same shape as out). The first occurrence wins ties; NaN is the max (the first NaN wins).
     * Both outputs are contiguous in keepdim layout (or without the reduced dim). Modifies out and indices.
     */
    public static void max(Tensor x, int dim, Tensor out, Tensor indicesOrNull) {
        argReduce("Reduce.max", true, x, dim, out, indicesOrNull);
    }

    /** Like {@link #max}, for the minimum (NaN still wins: it propagates). Modifies out and indices. */
    public static void min(Tensor x, int dim, Tensor out, Tensor indicesOrNull) {
        argReduce("Reduce.min", false, x, dim, out, indicesOrNull);
    }

    /**
     * {@code out = x} summed down to out's shape under broadcasting rules: dims align at the end, and the dims
     * of x that out lacks or where out has size 1 are summed. The backward of broadcasting. Modifies out.
     */
    public static void sumTo(Tensor x, Tensor out) {
        String op = "Reduce.sumTo";
        DType dt = TensorChecks.floating(op, "x", x);
        TensorChecks.dtype(op, "out", out, dt);
        TensorChecks.contiguous(op, "out", out);
        int rx = x.rank(), ro = out.rank();
        if (ro > rx) {
            throw new IllegalArgumentException(op + ": out " + out.describe() + " has more dims than x " + x.describe()
                    + "; expected a shape x broadcasts to");
        }
        int lead = rx - ro;
        int mask = (1 << lead) - 1;
        for (int j = 0; j < ro; j++) {
            long so = out.size(j), sx = x.size(j + lead);
            if (so == sx) {
                continue;
            }
            if (so != 1) {
                throw new IllegalArgumentException(op + ": out " + out.describe() + " is not a shape x " + x.describe()
                        + " broadcasts to (dim " + j + " of out has size " + so + ", expected " + sx + " or 1)");
            }
            mask |= 1 << (j + lead);
        }
        if (SmallReduce.sum(x, mask, out)) {
            return;
        }
        reduceInto(op, K_SUM, x, mask, out, 0);
    }

    /** Sum of all elements of an F32/F64 tensor, accumulated in double. */
    public static double sumAll(Tensor x) {
        TensorChecks.floating("Reduce.sumAll", "x", x);
        return all(SUM, x);
    }

    /** Sum of the squares of all elements, accumulated in double (for gradient-norm clipping). */
    public static double sumSquares(Tensor x) {
        TensorChecks.floating("Reduce.sumSquares", "x", x);
        return all(SQDEV, x);
    }

    // ---------------------------------------------------------------- argument checks

    private static void run(String op, int kind, Tensor x, int dims, Tensor out, double correction) {
        DType dt = TensorChecks.floating(op, "x", x);
        TensorChecks.dtype(op, "out", out, dt);
        TensorChecks.contiguous(op, "out", out);
        int r = x.rank();
        if ((dims & ~((1 << r) - 1)) != 0 || dims < 0) {
            throw new IllegalArgumentException(op + ": dim mask 0x" + Integer.toHexString(dims) + " names dims outside 0.."
                    + (r - 1) + " of x " + x.describe());
        }
        checkReducedShape(op, "out", x, dims, out);
        reduceInto(op, kind, x, dims, out, correction);
    }

    /**
     * Note [Channel sums]: a sum over every dim of a [N, C, *] tensor but the channels (a convolution's bias
     * gradient, {@code sum(gy, dims 0, 2, 3)}) reduces one strided run per channel: the general walk does it
     * on the calling thread, one channel after another, and was 6 % of the CNN step's wall time on the
     * caller thread while the pool's workers sat idle. Above {@link #CHANNEL_SUM_MIN} elements it runs as
     * batch norm's channel sums instead, one channel per pool unit, accumulating in double as the walk does.
     */
    private static boolean perChannel(Tensor x, int dims) {
        int r = x.rank();
        return r >= 3 && dims == (((1 << r) - 1) & ~0b10) && x.numel() >= CHANNEL_SUM_MIN && x.size(1) > 1;
    }

    /** Elements from which a per-channel sum runs on the pool (Note [Channel sums]). */
    static final long CHANNEL_SUM_MIN = 1 << 16;

    /**
     * True when both are CPU tensors and out has x's rank with size 1 at the dims in {@code dims} and x's sizes
     * elsewhere (the calls the small-tensor path may take before the full checks).
     */
    private static boolean keepdimShape(Tensor x, int dims, Tensor out) {
        int r = x.rank();
        if (x.device() != Device.CPU || out.device() != Device.CPU || out.rank() != r || dims >>> r != 0) {
            return false;
        }
        for (int d = 0; d < r; d++) {
            if (out.size(d) != ((dims & (1 << d)) != 0 ? 1 : x.size(d))) {
                return false;
            }
        }
        return true;
    }

    /** out must have x's shape with the masked dims set to 1 (keepdim) or removed. */
    static void checkReducedShape(String op, String name, Tensor x, int dims, Tensor out) {
        int r = x.rank();
        int ro = out.rank();
        boolean ok;
        if (ro == r) {
            ok = true;
            for (int d = 0; d < r && ok; d++) {
                ok = out.size(d) == ((dims & (1 << d)) != 0 ? 1 : x.size(d));
            }
        } else if (ro == r - Integer.bitCount(dims)) {
            ok = true;
            for (int d = 0, j = 0; d < r && ok; d++) {
                if ((dims & (1 << d)) == 0) {
                    ok = out.size(j++) == x.size(d);
                }
            }
        } else {
            ok = false;
        }
        if (!ok) {
            long[] keep = x.shape();
            for (int d = 0; d < r; d++) {
                if ((dims & (1 << d)) != 0) {
                    keep[d] = 1;
                }
            }
            throw new IllegalArgumentException(op + ": " + name + " " + out.describe() + " does not fit reducing x "
                    + x.describe() + " over dim mask 0x" + Integer.toHexString(dims) + "; expected shape "
                    + TensorChecks.shape(keep, r) + " (keepdim) or that shape without the reduced dims");
        }
    }

    // ---------------------------------------------------------------- the reduction walk (Note [Reduction walk])

    private static void reduceInto(String op, int kind, Tensor x, int mask, Tensor out, double correction) {
        boolean f32 = x.dtype() == DType.F32;
        int esz = RowKernels.bytes(f32);
        MemorySegment xs = x.segment(), os = out.segment();
        long xb = x.byteOffset(), ob = out.byteOffset();
        int r = x.rank();
        long n = 1; // reduced elements per output
        for (int d = 0; d < r; d++) {
            if ((mask & (1 << d)) != 0) {
                n *= x.size(d);
            }
        }
        if (out.numel() == 0) {
            return;
        }
        if (n == 0 && (kind == K_MAX || kind == K_MIN)) {
            throw new IllegalArgumentException(op + ": cannot reduce x " + x.describe() + " over empty dims (mask 0x"
                    + Integer.toHexString(mask) + "): max and min have no identity");
        }
        if (kind == K_SUM && perChannel(x, mask)) {
            Norm.channelSumsFlat(op, x, out); // Note [Channel sums]
            return;
        }
        if (kind == K_SUM && ColumnSums.applies(x, mask)) {
            ColumnSums.run(x, out); // on the pool, the same sums (Note [Column sums])
            return;
        }
        WalkScratch w = BlockMath.enter(x.numel());
        // Kept dims: operands x and out (out is contiguous over the kept dims in order).
        long[] outStride = w.strides;
        long st = 1;
        for (int d = r - 1; d >= 0; d--) {
            outStride[d] = (mask & (1 << d)) != 0 ? 0 : st;
            st *= (mask & (1 << d)) != 0 ? 1 : x.size(d);
        }
        DimWalker kept = w.outer.reset(2);
        for (int d = 0; d < r; d++) {
            if ((mask & (1 << d)) == 0) {
                kept.add(x.size(d), x.stride(d), outStride[d], 0, 0);
            }
        }
        DimWalker red = reducedWalk(w, x, mask);
        int rop = kind == K_MAX ? MAX : kind == K_MIN ? MIN : SUM;
        double denom = kind == K_MEAN ? n : kind == K_VAR ? Math.max(0.0, n - correction) : 1;

        if (n > 0 && kept.rank() > 0 && kept.innerStride(0) == 1 && red.rank() > 0) {
            // Blocks of adjacent outputs accumulate together.
            long kn = kept.innerSize();
            kept.dropInner();
            double[] acc = w.acc, mu = w.mean;
            kept.start();
            do {
                for (long j0 = 0; j0 < kn; j0 += WalkScratch.BLOCK) {
                    int len = (int) Math.min(WalkScratch.BLOCK, kn - j0);
                    long xo = xb + (kept.offset[0] + j0) * esz;
                    long oo = ob + (kept.offset[1] + j0) * esz;
                    if (kind == K_VAR) {
                        blockOverReduced(SUM, acc, mu, len, xs, f32, xo, red, esz, w);
                        for (int j = 0; j < len; j++) {
                            mu[j] = acc[j] / n;
                        }
                        blockOverReduced(SQDEV, acc, mu, len, xs, f32, xo, red, esz, w);
                    } else {
                        blockOverReduced(rop, acc, mu, len, xs, f32, xo, red, esz, w);
                    }
                    for (int j = 0; j < len; j++) {
                        RowKernels.set(os, f32, oo + (long) j * esz, acc[j] / denom);
                    }
                }
            } while (kept.next());
            return;
        }
        // One row reduction per output.
        long rn = red.innerSize(), rs = red.innerStride(0);
        red.dropInner();
        kept.start();
        do {
            long xo = xb + kept.offset[0] * esz;
            double v;
            if (n == 0) {
                v = 0;
            } else if (n == 1 && kind != K_VAR) {
                v = RowKernels.get(xs, f32, xo); // nothing to reduce: a copy (mask 0, or reduced dims of size 1)
            } else if (kind == K_VAR) {
                double m = overReduced(SUM, xs, f32, xo, red, rn, rs, 0, esz, w) / n;
                v = overReduced(SQDEV, xs, f32, xo, red, rn, rs, m, esz, w);
            } else {
                v = overReduced(rop, xs, f32, xo, red, rn, rs, 0, esz, w);
            }
            RowKernels.set(os, f32, ob + kept.offset[1] * esz, v / denom);
        } while (kept.next());
    }

    /** The walk over x's masked dims, ordered by decreasing stride (stride 0 outermost), coalesced. */
    private static DimWalker reducedWalk(WalkScratch w, Tensor x, int mask) {
        int[] order = w.order;
        int m = 0;
        for (int d = 0; d < x.rank(); d++) {
            if ((mask & (1 << d)) == 0) {
                continue;
            }
            // Insertion sort; key: stride, with 0 (broadcast) treated as the largest.
            long key = sortKey(x.stride(d));
            int i = m++;
            while (i > 0 && sortKey(x.stride(order[i - 1])) < key) {
                order[i] = order[i - 1];
                i--;
            }
            order[i] = d;
        }
        DimWalker red = w.inner.reset(1);
        for (int i = 0; i < m; i++) {
            red.add(x.size(order[i]), x.stride(order[i]), 0, 0, 0);
        }
        return red;
    }

    private static long sortKey(long stride) {
        return stride == 0 ? Long.MAX_VALUE : stride;
    }

    /** {@code op} over every element the walk reaches from {@code xo}, rows of {@code rn} at stride {@code rs}. */
    private static double overReduced(int op, MemorySegment xs, boolean f32, long xo, DimWalker red, long rn, long rs,
                                      double mu, int esz, WalkScratch w) {
        double a = RowKernels.identity(op);
        red.start();
        do {
            a = RowKernels.combine(op, a, RowKernels.reduce(op, xs, f32, xo + red.offset[0] * esz, rn, rs, mu, w));
        } while (red.next());
        return a;
    }

    private static void blockOverReduced(int op, double[] acc, double[] mu, int len, MemorySegment xs, boolean f32, long xo,
                                         DimWalker red, int esz, WalkScratch w) {
        java.util.Arrays.fill(acc, 0, len, RowKernels.identity(op));
        red.start();
        do {
            RowKernels.accumulate(op, acc, mu, len, xs, f32, xo + red.offset[0] * esz, w);
        } while (red.next());
    }

    private static double all(int op, Tensor x) {
        if (x.numel() == 0) {
            return 0;
        }
        boolean f32 = x.dtype() == DType.F32;
        int esz = RowKernels.bytes(f32);
        WalkScratch w = BlockMath.enter(x.numel());
        DimWalker red = reducedWalk(w, x, (1 << x.rank()) - 1);
        long rn = red.innerSize(), rs = red.innerStride(0);
        red.dropInner();
        return overReduced(op, x.segment(), f32, x.byteOffset(), red, rn, rs, 0, esz, w);
    }

    // ---------------------------------------------------------------- max/min with indices

    private static void argReduce(String op, boolean isMax, Tensor x, int dim, Tensor out, Tensor idx) {
        DType dt = TensorChecks.floating(op, "x", x);
        TensorChecks.dtype(op, "out", out, dt);
        TensorChecks.contiguous(op, "out", out);
        int d = TensorChecks.dim(op, "x", x, dim);
        checkReducedShape(op, "out", x, 1 << d, out);
        if (idx != null) {
            TensorChecks.dtype(op, "indices", idx, DType.I64);
            TensorChecks.contiguous(op, "indices", idx);
            checkReducedShape(op, "indices", x, 1 << d, idx);
        }
        long n = x.size(d);
        if (out.numel() == 0) {
            return;
        }
        if (n == 0) {
            throw new IllegalArgumentException(op + ": dim " + d + " of x " + x.describe() + " is empty; max and min have no identity");
        }
        boolean f32 = dt == DType.F32;
        int esz = RowKernels.bytes(f32);
        MemorySegment xs = x.segment(), os = out.segment();
        MemorySegment is = idx == null ? null : idx.segment();
        long xb = x.byteOffset(), ob = out.byteOffset(), ib = idx == null ? 0 : idx.byteOffset();
        long step = x.stride(d) * esz;
        WalkScratch w = BlockMath.enter(x.numel());
        long[] outStride = w.strides;
        long st = 1;
        for (int k = x.rank() - 1; k >= 0; k--) {
            outStride[k] = k == d ? 0 : st;
            st *= k == d ? 1 : x.size(k);
        }
        DimWalker walk = w.outer.reset(2);
        for (int k = 0; k < x.rank(); k++) {
            if (k != d) {
                walk.add(x.size(k), x.stride(k), outStride[k], 0, 0);
            }
        }
        walk.start();
        do {
            long off = xb + walk.offset[0] * esz;
            double best = RowKernels.get(xs, f32, off);
            long bi = 0;
            // First strictly better value wins, so ties keep the first; a NaN ends the scan as the answer.
            for (long i = 1; i < n && best == best; i++) {
                off += step;
                double v = RowKernels.get(xs, f32, off);
                if ((isMax ? v > best : v < best) || v != v) {
                    best = v;
                    bi = i;
                }
            }
            RowKernels.set(os, f32, ob + walk.offset[1] * esz, best);
            if (is != null) {
                is.set(ValueLayout.JAVA_LONG_UNALIGNED, ib + walk.offset[1] * 8, bi);
            }
        } while (walk.next());
    }
}
