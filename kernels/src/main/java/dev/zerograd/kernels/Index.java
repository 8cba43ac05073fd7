package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Indexing kernels with PyTorch's semantics: gather / scatter_add_, index_select / index_add_, one_hot.
 * Indices are I32 or I64 tensors of any strides; each value must lie in {@code [0, size)} of the indexed dim
 * (negative values are rejected, as by torch.gather), else an {@link IllegalArgumentException} names the
 * position, the value and the size. The in-place kernels check every index before writing anything, so a
 * bad index leaves their target unchanged. Outputs may have any strides except broadcast (stride 0) dims.
 *
 * <p>gather and index_select copy elements of any dtype bit for bit; the adding kernels take F32/F64.
 */
public final class Index {
    private Index() {}

    /**
     * {@code out[i][j][k] = x[i][index[i][j][k]][k]} for dim 1 (likewise for other dims): torch.gather.
     * index has x's rank and {@code index.size(d) <= x.size(d)} for {@code d != dim}; out has index's shape and
     * x's dtype.
     *
     * @param x not modified
     * @param index not modified
     * @param out modified
     */
    public static void gather(Tensor x, int dim, Tensor index, Tensor out) {
        String op = "Index.gather";
        DType dt = TensorChecks.cpu(op, "x", x);
        TensorChecks.integer(op, "index", index);
        TensorChecks.dtype(op, "out", out, dt);
        int d = indexedDim(op, x, dim, index);
        for (int k = 0; k < x.rank(); k++) {
            if (k != d && index.size(k) > x.size(k)) {
                throw new IllegalArgumentException(op + ": index " + index.describe() + " is larger than x " + x.describe()
                        + " at dim " + k + " (only dim " + d + " may differ)");
            }
        }
        TensorChecks.sameShape(op, "out", out, "index", index);
        TensorChecks.writable(op, "out", out);
        if (index.numel() == 0) {
            return;
        }
        long xn = x.rank() == 0 ? 1 : x.size(d), xstep = x.rank() == 0 ? 0 : x.stride(d);
        int esz = dt.byteSize();
        MemorySegment xs = x.segment(), is = index.segment(), os = out.segment();
        boolean i64 = index.dtype() == DType.I64;
        int isz = index.dtype().byteSize();
        long xb = x.byteOffset(), ib = index.byteOffset(), ob = out.byteOffset();
        DimWalker walk = WalkScratch.get().outer.reset(3);
        for (int k = 0; k < index.rank(); k++) {
            walk.add(index.size(k), index.stride(k), out.stride(k), k == d ? 0 : x.stride(k), 0);
        }
        long n = walk.innerSize(), si = walk.innerStride(0), so = walk.innerStride(1), sx = walk.innerStride(2);
        walk.dropInner();
        long p = 0;
        walk.start();
        do {
            long io = walk.offset[0], oo = walk.offset[1], xo = walk.offset[2];
            for (long j = 0; j < n; j++, p++, io += si, oo += so, xo += sx) {
                long v = readIndex(is, i64, ib + io * isz);
                if (v < 0 || v >= xn) {
                    throw outOfRange(op, index, p, v, xn, d, "x", x);
                }
                copyElement(xs, xb + (xo + v * xstep) * esz, os, ob + oo * esz, esz);
            }
        } while (walk.next());
    }

    /**
     * {@code out[i][index[i][j][k]][k] += src[i][j][k]} for dim 1 (likewise for other dims): torch.scatter_add_,
     * in place. index has out's rank, {@code index.size(d) <= src.size(d)} for every d and
     * {@code index.size(d) <= out.size(d)} for {@code d != dim}. F32/F64.
     *
     * @param out modified
     * @param index not modified
     * @param src not modified
     */
    public static void scatterAddInPlace(Tensor out, int dim, Tensor index, Tensor src) {
        String op = "Index.scatterAddInPlace";
        DType dt = TensorChecks.floating(op, "out", out);
        TensorChecks.integer(op, "index", index);
        TensorChecks.dtype(op, "src", src, dt);
        int d = indexedDim(op, out, dim, index);
        if (src.rank() != index.rank()) {
            throw new IllegalArgumentException(op + ": src " + src.describe() + " must have the rank of index " + index.describe());
        }
        for (int k = 0; k < out.rank(); k++) {
            if (index.size(k) > src.size(k) || (k != d && index.size(k) > out.size(k))) {
                throw new IllegalArgumentException(op + ": index " + index.describe() + " is larger than src " + src.describe()
                        + " or out " + out.describe() + " at dim " + k + " (index may exceed out only at dim " + d + ")");
            }
        }
        TensorChecks.writable(op, "out", out);
        if (index.numel() == 0) {
            return;
        }
        long on = out.rank() == 0 ? 1 : out.size(d), ostep = out.rank() == 0 ? 0 : out.stride(d);
        boolean f32 = dt == DType.F32;
        int esz = RowKernels.bytes(f32);
        MemorySegment os = out.segment(), is = index.segment(), ss = src.segment();
        boolean i64 = index.dtype() == DType.I64;
        int isz = index.dtype().byteSize();
        long ob = out.byteOffset(), ib = index.byteOffset(), sb = src.byteOffset();
        DimWalker walk = WalkScratch.get().outer;
        for (int pass = 0; pass < 2; pass++) { // pass 0 checks every index, pass 1 adds
            walk.reset(3);
            for (int k = 0; k < index.rank(); k++) {
                walk.add(index.size(k), index.stride(k), src.stride(k), k == d ? 0 : out.stride(k), 0);
            }
            long n = walk.innerSize(), si = walk.innerStride(0), ssrc = walk.innerStride(1), so = walk.innerStride(2);
            walk.dropInner();
            long p = 0;
            walk.start();
            do {
                long io = walk.offset[0], xo = walk.offset[1], oo = walk.offset[2];
                for (long j = 0; j < n; j++, p++, io += si, xo += ssrc, oo += so) {
                    long v = readIndex(is, i64, ib + io * isz);
                    if (pass == 0) {
                        if (v < 0 || v >= on) {
                            throw outOfRange(op, index, p, v, on, d, "out", out);
                        }
                    } else {
                        long at = ob + (oo + v * ostep) * esz;
                        RowKernels.set(os, f32, at, RowKernels.get(os, f32, at) + RowKernels.get(ss, f32, sb + xo * esz));
                    }
                }
            } while (walk.next());
        }
    }

    /**
     * {@code out = x.index_select(dim, index)}: out has x's shape with {@code size(dim) = index.numel()} and
     * x's dtype; index is 1-D (or rank 0, one index). Every index is checked before anything is written.
     *
     * @param x not modified
     * @param index not modified
     * @param out modified
     */
    public static void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        String op = "Index.indexSelect";
        DType dt = TensorChecks.cpu(op, "x", x);
        TensorChecks.dtype(op, "out", out, dt);
        int d = TensorChecks.dim(op, "x", x, dim);
        long m = checkIndexList(op, index, "out", out, "x", x, d);
        TensorChecks.writable(op, "out", out);
        long xn = x.size(d);
        for (long i = 0; i < m; i++) {
            long v = indexAt(index, i);
            if (v < 0 || v >= xn) {
                throw outOfRange(op, index, i, v, xn, d, "x", x);
            }
        }
        if (out.numel() == 0) {
            return;
        }
        int esz = dt.byteSize();
        MemorySegment xs = x.segment(), os = out.segment();
        long xb = x.byteOffset(), ob = out.byteOffset();
        DimWalker walk = WalkScratch.get().outer.reset(2);
        for (int k = 0; k < x.rank(); k++) {
            if (k != d) {
                walk.add(x.size(k), x.stride(k), out.stride(k), 0, 0);
            }
        }
        long n = walk.innerSize(), sx = walk.innerStride(0), so = walk.innerStride(1);
        walk.dropInner();
        for (long i = 0; i < m; i++) {
            long xrow = xb + indexAt(index, i) * x.stride(d) * esz, orow = ob + i * out.stride(d) * esz;
            walk.start();
            do {
                long xo = xrow + walk.offset[0] * esz, oo = orow + walk.offset[1] * esz;
                if (sx == 1 && so == 1) {
                    MemorySegment.copy(xs, xo, os, oo, n * esz);
                } else {
                    for (long j = 0; j < n; j++, xo += sx * esz, oo += so * esz) {
                        copyElement(xs, xo, os, oo, esz);
                    }
                }
            } while (walk.next());
        }
    }

    /**
     * {@code out.index_add_(dim, index, src)}: {@code out[..., index[i], ...] += src[..., i, ...]}, in place;
     * src has out's shape with {@code size(dim) = index.numel()}. Repeated indices accumulate. F32/F64.
     *
     * @param out modified
     * @param index not modified
     * @param src not modified
     */
    public static void indexAddInPlace(Tensor out, int dim, Tensor index, Tensor src) {
        String op = "Index.indexAddInPlace";
        DType dt = TensorChecks.floating(op, "out", out);
        TensorChecks.dtype(op, "src", src, dt);
        int d = TensorChecks.dim(op, "out", out, dim);
        long m = checkIndexList(op, index, "src", src, "out", out, d);
        TensorChecks.writable(op, "out", out);
        long on = out.size(d);
        for (long i = 0; i < m; i++) {
            long v = indexAt(index, i);
            if (v < 0 || v >= on) {
                throw outOfRange(op, index, i, v, on, d, "out", out);
            }
        }
        if (src.numel() == 0) {
            return;
        }
        boolean f32 = dt == DType.F32;
        int esz = RowKernels.bytes(f32);
        MemorySegment os = out.segment(), ss = src.segment();
        long ob = out.byteOffset(), sb = src.byteOffset();
        WalkScratch w = BlockMath.enter(src.numel());
        DimWalker walk = w.outer.reset(2);
        for (int k = 0; k < out.rank(); k++) {
            if (k != d) {
                walk.add(out.size(k), out.stride(k), src.stride(k), 0, 0);
            }
        }
        long n = walk.innerSize(), so = walk.innerStride(0), ssrc = walk.innerStride(1);
        walk.dropInner();
        for (long i = 0; i < m; i++) {
            long orow = ob + indexAt(index, i) * out.stride(d) * esz, srow = sb + i * src.stride(d) * esz;
            walk.start();
            do {
                long oo = orow + walk.offset[0] * esz;
                RowKernels.map(RowKernels.ADD, f32, n, 0, 0, os, oo, so, ss, srow + walk.offset[1] * esz, ssrc, os, oo, so, w);
            } while (walk.next());
        }
    }

    /**
     * {@code out[..., c] = labels[...] == c ? 1 : 0}: out has labels' shape plus a last dim of
     * {@code numClasses}, dtype F32, F64, I32 or I64. Every label must be in {@code [0, numClasses)}.
     *
     * @param labels not modified
     * @param out modified
     */
    public static void oneHot(Tensor labels, int numClasses, Tensor out) {
        String op = "Index.oneHot";
        TensorChecks.integer(op, "labels", labels);
        DType dt = TensorChecks.cpu(op, "out", out);
        if (dt == DType.F16 || dt == DType.BF16) {
            throw new IllegalArgumentException(op + ": out " + out.describe() + " has dtype " + dt + "; expected f32, f64, i32 or i64");
        }
        boolean shapeOk = out.rank() == labels.rank() + 1 && out.size(-1) == numClasses && numClasses >= 0;
        for (int k = 0; shapeOk && k < labels.rank(); k++) {
            shapeOk = out.size(k) == labels.size(k);
        }
        if (!shapeOk) {
            throw new IllegalArgumentException(op + ": out " + out.describe() + " must have the shape of labels "
                    + labels.describe() + " plus a last dim of numClasses = " + numClasses);
        }
        TensorChecks.writable(op, "out", out);
        if (labels.numel() == 0) {
            return;
        }
        int esz = dt.byteSize();
        long cstep = out.stride(-1) * esz;
        MemorySegment ls = labels.segment(), os = out.segment();
        boolean i64 = labels.dtype() == DType.I64;
        int lsz = labels.dtype().byteSize();
        long lb = labels.byteOffset(), ob = out.byteOffset();
        DimWalker walk = WalkScratch.get().outer.reset(2);
        for (int k = 0; k < labels.rank(); k++) {
            walk.add(labels.size(k), labels.stride(k), out.stride(k), 0, 0);
        }
        long p = 0;
        walk.start();
        do {
            long v = readIndex(ls, i64, lb + walk.offset[0] * lsz);
            if (v < 0 || v >= numClasses) {
                throw new IllegalArgumentException(op + ": label " + v + " at flat position " + p + " of labels "
                        + labels.describe() + " is outside [0, numClasses) with numClasses = " + numClasses);
            }
            long oo = ob + walk.offset[1] * esz;
            for (long c = 0; c < numClasses; c++, oo += cstep) {
                writeNumber(os, dt, oo, c == v ? 1 : 0);
            }
            p++;
        } while (walk.next());
    }

    // ---------------------------------------------------------------- helpers

    /** The indexed dim of x (rank 0: dim 0 or -1, a dim of size 1), after checking index's dtype and rank. */
    private static int indexedDim(String op, Tensor x, int dim, Tensor index) {
        if (index.rank() != x.rank()) {
            throw new IllegalArgumentException(op + ": index " + index.describe() + " must have the rank of x " + x.describe());
        }
        return x.rank() == 0 ? Softmax.rowDim(op, x, dim) : TensorChecks.dim(op, "x", x, dim);
    }

    /** Checks a 1-D (or rank-0) index list against {@code shaped}, which must be {@code full} with size(dim) = numel(index). */
    private static long checkIndexList(String op, Tensor index, String shapedName, Tensor shaped, String fullName, Tensor full, int d) {
        TensorChecks.integer(op, "index", index);
        if (index.rank() > 1) {
            throw new IllegalArgumentException(op + ": index " + index.describe() + " must be 1-D");
        }
        long m = index.numel();
        boolean ok = shaped.rank() == full.rank();
        for (int k = 0; ok && k < full.rank(); k++) {
            ok = shaped.size(k) == (k == d ? m : full.size(k));
        }
        if (!ok) {
            throw new IllegalArgumentException(op + ": " + shapedName + " " + shaped.describe() + " must have the shape of "
                    + fullName + " " + full.describe() + " with dim " + d + " of size " + m + " (the number of indices)");
        }
        return m;
    }

    private static long indexAt(Tensor index, long i) {
        long off = index.byteOffset() + (index.rank() == 0 ? 0 : i * index.stride(0)) * index.dtype().byteSize();
        return readIndex(index.segment(), index.dtype() == DType.I64, off);
    }

    static long readIndex(MemorySegment s, boolean i64, long off) {
        return i64 ? s.get(JAVA_LONG_UNALIGNED, off) : s.get(JAVA_INT_UNALIGNED, off);
    }

    /** Copies one element of {@code esz} bytes bit for bit. */
    private static void copyElement(MemorySegment src, long so, MemorySegment dst, long d, int esz) {
        switch (esz) {
            case 8 -> dst.set(JAVA_LONG_UNALIGNED, d, src.get(JAVA_LONG_UNALIGNED, so));
            case 4 -> dst.set(JAVA_INT_UNALIGNED, d, src.get(JAVA_INT_UNALIGNED, so));
            default -> dst.set(JAVA_SHORT_UNALIGNED, d, src.get(JAVA_SHORT_UNALIGNED, so));
        }
    }

    private static void writeNumber(MemorySegment s, DType dt, long off, int v) {
        switch (dt) {
            case F32 -> s.set(JAVA_FLOAT_UNALIGNED, off, v);
            case F64 -> s.set(JAVA_DOUBLE_UNALIGNED, off, v);
            case I32 -> s.set(JAVA_INT_UNALIGNED, off, v);
            default -> s.set(JAVA_LONG_UNALIGNED, off, v);
        }
    }

    private static IllegalArgumentException outOfRange(String op, Tensor index, long position, long value, long size, int dim,
                                                       String name, Tensor t) {
        return new IllegalArgumentException(op + ": index value " + value + " at flat position " + position + " of index "
                + index.describe() + " is out of range [0, " + size + ") for dim " + dim + " of " + name + " " + t.describe());
    }
}
