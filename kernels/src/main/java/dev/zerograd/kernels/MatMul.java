package dev.zerograd.kernels;

import dev.zerograd.bindings.Cblas;
import dev.zerograd.bindings.CblasAddress;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Matrix products on F32/F64 tensors: row-major {@code sgemm} through {@link GemmBackend} (OpenBLAS or oneDNN,
 * Note [GEMM backend]) and OpenBLAS {@code cblas_dgemm}.
 *
 * <p>Layouts: an operand is passed to BLAS without copying when one of its two matrix dims has unit stride.
 * Unit stride in the last dim is a row-major matrix with leading dimension {@code stride(-2)}; unit stride in
 * the second-to-last dim is a transposed view of a row-major matrix with leading dimension
 * {@code stride(-1)}, and the BLAS transpose flag is flipped instead. Any other layout (including broadcast
 * matrices, stride 0) needs a contiguous copy first. The output needs unit stride in its last dim.
 *
 * <p>Note [Slab pointers]: BLAS takes the address of element (0, 0). It is passed as the raw address
 * {@code slab.address() + byteOffset} through {@link CblasAddress} (Note [Address downcalls] there), so no
 * slice segment is made per call and nothing is allocated at any JIT tier. Every operand's handle is checked
 * (live arena, current generation) and its extent checked against its slab first, since native code has no
 * bounds checks.
 */
public final class MatMul {
    private MatMul() {}

    /**
     * {@code c = alpha * op(a) @ op(b) + beta * c}, op the transpose when its flag is set: op(a) is
     * {@code [m, k]}, op(b) {@code [k, n]}, c {@code [m, n]}. With {@code beta == 0}, c's previous contents
     * (even NaN) are ignored. c must not overlap a or b.
     *
     * @param a 2-D F32/F64; not modified
     * @param b 2-D, a's dtype; not modified
     * @param c 2-D, a's dtype, unit stride in dim 1; modified
     */
    public static void gemm(Tensor a, boolean transA, Tensor b, boolean transB, double alpha, double beta, Tensor c) {
        String op = "MatMul.gemm";
        DType dt = check(op, a, b, c);
        if (a.rank() != 2 || b.rank() != 2 || c.rank() != 2) {
            throw new IllegalArgumentException(op + ": expected 2-D a, b and c, got a " + a.describe() + ", b "
                    + b.describe() + ", c " + c.describe() + " (use bmm for batches)");
        }
        checkProductShape(op, a, transA, b, transB, c);
        multiply(op, dt == DType.F32, a, a.byteOffset(), transA, b, b.byteOffset(), transB, alpha, beta, c, c.byteOffset());
    }

    /**
     * Batched {@link #gemm}: a {@code [B..., m, k]} (or {@code [B..., k, m]} with transA), b {@code [B..., k, n]},
     * c {@code [B..., m, n]}, the same batch dims B... for all three. Broadcast batch dims of a and b arrive as
     * stride-0 views; c's batch dims must not be broadcast. One gemm per batch element.
     *
     * @param a not modified
     * @param b not modified
     * @param c modified
     */
    public static void bmm(Tensor a, boolean transA, Tensor b, boolean transB, double alpha, double beta, Tensor c) {
        String op = "MatMul.bmm";
        DType dt = check(op, a, b, c);
        int r = a.rank();
        boolean batchOk = r >= 2 && b.rank() == r && c.rank() == r;
        for (int d = 0; batchOk && d < r - 2; d++) {
            batchOk = b.size(d) == a.size(d) && c.size(d) == a.size(d);
        }
        if (!batchOk) {
            throw new IllegalArgumentException(op + ": a " + a.describe() + ", b " + b.describe() + " and c " + c.describe()
                    + " must have the same rank (>= 2) and the same batch dims (all but the last two)");
        }
        checkProductShape(op, a, transA, b, transB, c);
        for (int d = 0; d < r - 2; d++) {
            if (c.stride(d) == 0 && c.size(d) > 1) {
                throw new IllegalArgumentException(op + ": c " + c.describe() + " is broadcast (stride 0) along batch dim " + d
                        + "; every batch needs its own output matrix");
            }
        }
        if (c.numel() == 0) {
            return;
        }
        boolean f32 = dt == DType.F32;
        int esz = RowKernels.bytes(f32);
        DimWalker batch = WalkScratch.get().outer.reset(3);
        for (int d = 0; d < r - 2; d++) {
            batch.add(a.size(d), a.stride(d), b.stride(d), c.stride(d), 0);
        }
        batch.start();
        do {
            multiply(op, f32, a, a.byteOffset() + batch.offset[0] * esz, transA, b, b.byteOffset() + batch.offset[1] * esz,
                    transB, alpha, beta, c, c.byteOffset() + batch.offset[2] * esz);
        } while (batch.next());
    }

    // ---------------------------------------------------------------- checks

    private static DType check(String op, Tensor a, Tensor b, Tensor c) {
        DType dt = TensorChecks.floating(op, "a", a);
        TensorChecks.dtype(op, "b", b, dt);
        TensorChecks.dtype(op, "c", c, dt);
        inSlab(op, "a", a);
        inSlab(op, "b", b);
        inSlab(op, "c", c);
        if (overlaps(c, a) || overlaps(c, b)) {
            throw new IllegalArgumentException(op + ": c " + c.describe() + " overlaps " + (overlaps(c, a) ? "a " + a.describe() : "b " + b.describe())
                    + " in memory; BLAS needs an output distinct from its inputs");
        }
        return dt;
    }

    /** The matrix dims (last two) of op(a) @ op(b) against c. */
    private static void checkProductShape(String op, Tensor a, boolean transA, Tensor b, boolean transB, Tensor c) {
        long m = a.size(transA ? -1 : -2), k = a.size(transA ? -2 : -1);
        long kb = b.size(transB ? -1 : -2), n = b.size(transB ? -2 : -1);
        if (k != kb || c.size(-2) != m || c.size(-1) != n) {
            throw new IllegalArgumentException(op + ": op(a) [" + m + ", " + k + "] @ op(b) [" + kb + ", " + n + "] -> c [" + m + ", "
                    + n + "] does not fit a " + a.describe() + (transA ? " (transposed)" : "") + ", b " + b.describe()
                    + (transB ? " (transposed)" : "") + ", c " + c.describe());
        }
        if (!isRowMajor(c) && c.size(-1) > 1) {
            throw new IllegalArgumentException(op + ": c " + c.describe() + " needs unit stride in its last dim and a row stride"
                    + " >= its columns; write into a contiguous tensor");
        }
        if (!isRowMajor(a) && !isColumnMajor(a)) {
            throw needsCopy(op, "a", a);
        }
        if (!isRowMajor(b) && !isColumnMajor(b)) {
            throw needsCopy(op, "b", b);
        }
    }

    private static IllegalArgumentException needsCopy(String op, String name, Tensor t) {
        return new IllegalArgumentException(op + ": " + name + " " + t.describe() + " has no unit stride in either matrix dim"
                + " (or a leading dimension smaller than a row); a contiguous copy is needed first");
    }

    /** The element extent of t lies inside its slab (native code has no bounds checks). */
    private static void inSlab(String op, String name, Tensor t) {
        if (t.numel() == 0) {
            return;
        }
        long end = t.byteOffset() + (maxElement(t) + 1) * t.dtype().byteSize();
        if (t.byteOffset() < 0 || end > t.segment().byteSize()) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " reaches byte " + end
                    + " outside its slab of " + t.segment().byteSize() + " bytes");
        }
    }

    private static long maxElement(Tensor t) {
        long hi = 0;
        for (int d = 0; d < t.rank(); d++) {
            hi += (t.size(d) - 1) * t.stride(d);
        }
        return hi;
    }

    /** True when the byte ranges spanned by two non-empty tensors in the same slab intersect. */
    private static boolean overlaps(Tensor x, Tensor y) {
        if (x.numel() == 0 || y.numel() == 0 || x.segment().address() != y.segment().address()) {
            return false;
        }
        long x0 = x.byteOffset(), x1 = x0 + (maxElement(x) + 1) * x.dtype().byteSize();
        long y0 = y.byteOffset(), y1 = y0 + (maxElement(y) + 1) * y.dtype().byteSize();
        return x0 < y1 && y0 < x1;
    }

    // Layout of the matrix dims (-2, -1) = (rows R, cols C). Size-1 dims constrain nothing.

    private static boolean isRowMajor(Tensor t) {
        long rows = t.size(-2), cols = t.size(-1);
        return (cols <= 1 || t.stride(-1) == 1) && (rows <= 1 || t.stride(-2) >= Math.max(1, cols));
    }

    private static boolean isColumnMajor(Tensor t) {
        long rows = t.size(-2), cols = t.size(-1);
        return (rows <= 1 || t.stride(-2) == 1) && (cols <= 1 || t.stride(-1) >= Math.max(1, rows));
    }

    /** Leading dimension for BLAS: the row stride of a row-major matrix (of the transposed one when column-major). */
    private static long leadingDim(Tensor t, boolean rowMajor) {
        long rows = t.size(-2), cols = t.size(-1);
        if (rowMajor) {
            return rows <= 1 ? Math.max(1, cols) : t.stride(-2);
        }
        return cols <= 1 ? Math.max(1, rows) : t.stride(-1);
    }

    // ---------------------------------------------------------------- the call

    /** One product at the given byte offsets of the operands' slabs (shapes and layouts already checked). */
    private static void multiply(String op, boolean f32, Tensor a, long ao, boolean transA, Tensor b, long bo, boolean transB,
                                 double alpha, double beta, Tensor c, long co) {
        long m = c.size(-2), n = c.size(-1), k = a.size(transA ? -2 : -1);
        if (m == 0 || n == 0) {
            return;
        }
        MemorySegment cs = c.segment();
        long ldc = leadingDim(c, true);
        if (k == 0) {
            // Empty sum: c = beta * c (beta 0 writes zeros, ignoring NaN in c).
            int esz = RowKernels.bytes(f32);
            for (long i = 0; i < m; i++) {
                for (long j = 0; j < n; j++) {
                    long at = co + (i * ldc + j) * esz;
                    RowKernels.set(cs, f32, at, beta == 0 ? 0 : beta * RowKernels.get(cs, f32, at));
                }
            }
            return;
        }
        boolean aRow = isRowMajor(a), bRow = isRowMajor(b);
        // A column-major operand is the transpose of a row-major one: flip its flag.
        int ta = transA == aRow ? Cblas.CblasTrans : Cblas.CblasNoTrans;
        int tb = transB == bRow ? Cblas.CblasTrans : Cblas.CblasNoTrans;
        int im = TensorChecks.blasInt(op, "m", m), in = TensorChecks.blasInt(op, "n", n), ik = TensorChecks.blasInt(op, "k", k);
        int lda = TensorChecks.blasInt(op, "lda", leadingDim(a, aRow));
        int ldb = TensorChecks.blasInt(op, "ldb", leadingDim(b, bRow));
        int ildc = TensorChecks.blasInt(op, "ldc", ldc);
        long pa = a.segment().address() + ao, pb = b.segment().address() + bo, pc = cs.address() + co;
        Parallel.quiesce(); // the pool's workers stop spinning: OpenBLAS's threads get the cores (Note [Thread pools])
        if (f32) {
            GemmBackend.sgemm(ta == Cblas.CblasTrans, tb == Cblas.CblasTrans, im, in, ik, (float) alpha, pa, lda, pb, ldb,
                    (float) beta, pc, ildc);
        } else {
            CblasAddress.cblas_dgemm(Cblas.CblasRowMajor, ta, tb, im, in, ik, alpha, pa, lda, pb, ldb,
                    beta, pc, ildc);
        }
    }
}
