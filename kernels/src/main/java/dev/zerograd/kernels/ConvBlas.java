package dev.zerograd.kernels;

import dev.zerograd.bindings.Cblas;
import dev.zerograd.bindings.CblasAddress;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The BLAS side of {@link Conv}: which operand layouts GEMM reads in place, the stages that copy the others
 * (Note [Conv workspace] in Conv), the GEMM call itself, and the slab and overlap checks that must pass
 * before native code touches memory.
 *
 * <p>A matrix operand is (segment, byte offset of element (0, 0), signed leading dimension): positive for a
 * row-major matrix (unit column stride), negative for a column-major one (unit row stride), which BLAS reads
 * as the transpose of a row-major matrix with the flag flipped, as {@link MatMul} does.
 */
final class ConvBlas {
    private ConvBlas() {}

    /**
     * How BLAS can read a {@code [rows, cols]} matrix with the given element strides: its leading dimension
     * when row-major (unit column stride), minus its leading dimension when column-major (unit row stride),
     * 0 when neither (a copy is needed). -1 column strides (unmergeable dims) give 0.
     */
    static long matrixLayout(long rows, long rowStride, long cols, long colStride) {
        if (colStride < 0) {
            return 0;
        }
        if ((cols <= 1 || colStride == 1) && (rows <= 1 || rowStride >= Math.max(1, cols))) {
            return rows <= 1 ? Math.max(1, cols) : rowStride;
        }
        if ((rows <= 1 || rowStride == 1) && (cols <= 1 || colStride >= Math.max(1, rows))) {
            return -(cols <= 1 ? Math.max(1, rows) : colStride);
        }
        return 0;
    }

    /** The weight matrix [Cout, K] for BLAS: w itself, or its contiguous copy in the weight stage. */
    static Operand weights(Im2Col t, Tensor w, MemorySegment ws, long wsb, long k) {
        Weights m = Weights.get();
        long ld = matrixLayout(t.cout, w.stride(0), k, BlockRuns.mergedStride(w, 1));
        if (ld != 0) {
            m.set(w.segment(), w.byteOffset(), ld);
            return m;
        }
        // Stage: w[o, c, i, j] -> stage[o * K + (c * kH + i) * kW + j].
        boolean f32 = t.f32;
        int esz = f32 ? 4 : 8;
        MemorySegment src = w.segment();
        long at = wsb;
        for (long o = 0; o < t.cout; o++) {
            for (long c = 0; c < w.size(1); c++) {
                for (long i = 0; i < t.kh; i++) {
                    long from = w.byteOffset() + (o * w.stride(0) + c * w.stride(1) + i * w.stride(2)) * esz;
                    for (long j = 0; j < t.kw; j++, at += esz) {
                        SpatialRows.set(ws, f32, at, SpatialRows.get(src, f32, from + j * w.stride(3) * esz));
                    }
                }
            }
        }
        m.set(ws, wsb, k);
        return m;
    }

    /** A matrix operand for BLAS: segment, byte offset of element (0, 0), signed leading dimension (matrixLayout). */
    static class Operand {
        MemorySegment s;
        long base;
        long ld;

        void set(MemorySegment s, long base, long ld) {
            this.s = s;
            this.base = base;
            this.ld = ld;
        }

        /** Byte offset of row {@code row}: rows are ld apart when row-major, adjacent when column-major. */
        long at(long row, int esz) {
            return base + row * (ld > 0 ? ld : 1) * esz;
        }
    }

    private static final class Weights extends Operand {
        private static final ThreadLocal<Weights> LOCAL = ThreadLocal.withInitial(Weights::new);

        static Weights get() {
            return LOCAL.get();
        }
    }

    /** The upstream gradient of one image as a [Cout, Ho * Wo] matrix: gy[n] itself or its copy in the stage. */
    static final class Grads extends Operand {
        private static final ThreadLocal<Grads> LOCAL = ThreadLocal.withInitial(Grads::new);

        static Grads get() {
            return LOCAL.get();
        }

        void image(Im2Col t, Tensor gy, long n, MemorySegment ws, long stage, int esz) {
            long p = t.ho * t.wo;
            long ps = BlockRuns.mergedStride(gy, 2);
            long lay = matrixLayout(t.cout, gy.stride(1), p, ps);
            long base = gy.byteOffset() + n * gy.stride(0) * esz;
            if (lay != 0) {
                set(gy.segment(), base, lay);
                return;
            }
            // Stage: gy[n, o, i, j] -> stage[o * P + i * Wo + j].
            MemorySegment src = gy.segment();
            boolean f32 = t.f32;
            long at = stage;
            for (long o = 0; o < t.cout; o++) {
                for (long i = 0; i < t.ho; i++) {
                    long from = base + (o * gy.stride(1) + i * gy.stride(2)) * esz;
                    for (long j = 0; j < t.wo; j++, at += esz) {
                        SpatialRows.set(ws, f32, at, SpatialRows.get(src, f32, from + j * gy.stride(3) * esz));
                    }
                }
            }
            set(ws, stage, p);
        }
    }

    /**
     * {@code c = op(a) @ op(b) + beta * c} with op(a) {@code [m, k]}, op(b) {@code [k, n]} and c row-major
     * {@code [m, n]} with leading dimension ldc. a is read as the matrix {@code op(a)} is the (transposed when
     * transA) view of, with the signed leading dimension aLd of {@link #matrixLayout}; likewise b.
     */
    static void gemm(String op, boolean f32, boolean transA, long aLd, long m, long n, long k, MemorySegment as,
                             long ao, boolean transB, long bLd, MemorySegment bs, long bo, double beta, MemorySegment cs,
                             long co, long ldc) {
        Parallel.quiesce(); // as in MatMul: the pool's workers stop spinning so OpenBLAS's threads get the cores
        gemmOnThread(op, f32, transA, aLd, m, n, k, as, ao, transB, bLd, bs, bo, beta, cs, co, ldc);
    }

    /**
     * {@link #gemm} without quiescing the pool: for calls from inside a parallel region, where each pool thread
     * makes its own single-threaded GEMM calls (Note [Conv slots] in {@link ConvSlots}).
     */
    static void gemmOnThread(String op, boolean f32, boolean transA, long aLd, long m, long n, long k, MemorySegment as,
                             long ao, boolean transB, long bLd, MemorySegment bs, long bo, double beta, MemorySegment cs,
                             long co, long ldc) {
        // A column-major operand is the transpose of a row-major one: flip its flag (as in MatMul).
        int ta = transA == aLd > 0 ? Cblas.CblasTrans : Cblas.CblasNoTrans;
        int tb = transB == bLd > 0 ? Cblas.CblasTrans : Cblas.CblasNoTrans;
        int im = TensorChecks.blasInt(op, "m", m), in = TensorChecks.blasInt(op, "n", n), ik = TensorChecks.blasInt(op, "k", k);
        int lda = TensorChecks.blasInt(op, "lda", Math.abs(aLd)), ldb = TensorChecks.blasInt(op, "ldb", Math.abs(bLd));
        int ildc = TensorChecks.blasInt(op, "ldc", ldc);
        // Raw addresses (Note [Address downcalls] in CblasAddress): every extent was checked against its slab.
        long pa = as.address() + ao, pb = bs.address() + bo, pc = cs.address() + co;
        if (f32) {
            GemmBackend.sgemm(ta == Cblas.CblasTrans, tb == Cblas.CblasTrans, im, in, ik, 1f, pa, lda, pb, ldb, (float) beta,
                    pc, ildc);
        } else {
            CblasAddress.cblas_dgemm(Cblas.CblasRowMajor, ta, tb, im, in, ik, 1.0, pa, lda, pb, ldb, beta, pc, ildc);
        }
    }

    /** The element extent of t lies inside its slab (BLAS has no bounds checks). */
    static void inSlab(String op, String name, Tensor t) {
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
            hi += (t.size(d) - 1) * Math.max(0, t.stride(d));
        }
        return hi;
    }

    /** Rejects an output whose bytes intersect an input's (nothing in these kernels works in place). */
    static void noOverlap(String op, String outName, Tensor out, String inName, Tensor in) {
        if (in == null || out.numel() == 0 || in.numel() == 0 || out.segment().address() != in.segment().address()) {
            return;
        }
        long o0 = out.byteOffset(), o1 = o0 + (maxElement(out) + 1) * out.dtype().byteSize();
        long i0 = in.byteOffset(), i1 = i0 + (maxElement(in) + 1) * in.dtype().byteSize();
        if (o0 < i1 && i0 < o1) {
            throw new IllegalArgumentException(op + ": " + outName + " " + out.describe() + " overlaps " + inName + " "
                    + in.describe() + " in memory; expected distinct tensors");
        }
    }
}
