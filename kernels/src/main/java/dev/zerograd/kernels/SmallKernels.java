package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The small-tensor fast path of the elementwise kernels: outputs of at most {@value #MAX} elements, with
 * operands that are contiguous with out's shape or out's trailing dims (a bias row), or a single element
 * (possibly expanded with stride 0), and a contiguous output of the same dtype. Such calls skip broadcast planning and the vector loops and run one
 * scalar loop computed in double ({@link Formulas}, the formulas of {@link ElementwiseRef}).
 *
 * <p>Note [Small tensors]: for a 64-element op the planning in {@link EwTask} costs more than the arithmetic,
 * and the per-op cost of small ops is what a chain of elementwise ops is made of. Scalar loops also need no
 * Vector API intrinsic to stay off the heap, so they allocate nothing at every JIT tier, warm-up included.
 * Results agree with the vector kernels to the same tolerance as the scalar reference does (exactly for
 * +, -, *, / and selections; within a few ulps for transcendentals).
 */
final class SmallKernels {
    private SmallKernels() {}

    /** Largest output, in elements, that takes the fast path. */
    static final long MAX = 4096;

    /** Operand placement relative to out: 0 = none, else its period (1 = one element, n = out's shape). */
    private static long period(Tensor t, Tensor out, long n) {
        if (t.dtype() != out.dtype()) {
            return 0;
        }
        long m = t.numel();
        if (m == 1) {
            return 1;
        }
        int r = t.rank();
        int ro = out.rank();
        if (r > ro) {
            return 0;
        }
        boolean allZeroStrides = true;
        for (int d = 1; d <= r; d++) {
            if (t.size(r - d) != out.size(ro - d)) {
                return 0;
            }
            allZeroStrides &= t.stride(r - d) == 0 || t.size(r - d) == 1;
        }
        if (allZeroStrides) {
            return 1; // one element broadcast everywhere (the gradient of a sum, expanded)
        }
        if (!t.isContiguous()) {
            return 0;
        }
        return m == n || m > 0 && n % m == 0 ? m : 0;
    }

    /** True when t's bytes overlap out's without being exactly out's (an unsafe in-place call). */
    private static boolean partialOverlap(Tensor t, Tensor out, MemorySegment ts, MemorySegment os) {
        if (ts != os) {
            return false;
        }
        long a0 = t.byteOffset();
        long a1 = a0 + (t.isContiguous() ? t.byteSize() : t.dtype().byteSize());
        long b0 = out.byteOffset();
        long b1 = b0 + out.byteSize();
        boolean overlap = a0 < b1 && b0 < a1;
        return overlap && !(a0 == b0 && a1 == b1);
    }

    private static boolean eligible(Tensor out) {
        DType dt = out.dtype();
        return (dt == DType.F32 || dt == DType.F64) && out.isContiguous() && out.numel() <= MAX;
    }



    /** out = op(x; alpha) when the call fits the fast path; returns false (having done nothing) otherwise. */
    static boolean unary(UnaryOp op, Tensor x, double alpha, Tensor out) {
        if (!eligible(out)) {
            return false;
        }
        long n = out.numel();
        long px = period(x, out, n);
        if (px != n || (op == UnaryOp.SOFTPLUS || op == UnaryOp.SOFTPLUS_GRAD) && !(alpha > 0)) {
            return false;
        }
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        if (partialOverlap(x, out, xs, os)) {
            return false;
        }
        boolean f32 = out.dtype() == DType.F32;
        long es = f32 ? 4 : 8;
        long xo = x.byteOffset();
        long oo = out.byteOffset();
        switch (op) {
            case NEG -> {
                for (long i = 0; i < n; i++) {
                    RowKernels.set(os, f32, oo + i * es, -RowKernels.get(xs, f32, xo + i * es));
                }
            }
            case RELU -> {
                for (long i = 0; i < n; i++) {
                    double v = RowKernels.get(xs, f32, xo + i * es);
                    RowKernels.set(os, f32, oo + i * es, Math.max(v, 0.0));
                }
            }
            case RELU_GRAD -> {
                for (long i = 0; i < n; i++) {
                    RowKernels.set(os, f32, oo + i * es, RowKernels.get(xs, f32, xo + i * es) > 0 ? 1.0 : 0.0);
                }
            }
            case TANH_GRAD_FROM_Y -> {
                for (long i = 0; i < n; i++) {
                    double y = RowKernels.get(xs, f32, xo + i * es);
                    RowKernels.set(os, f32, oo + i * es, 1.0 - y * y);
                }
            }
            case SQUARE -> {
                for (long i = 0; i < n; i++) {
                    double v = RowKernels.get(xs, f32, xo + i * es);
                    RowKernels.set(os, f32, oo + i * es, v * v);
                }
            }
            default -> {
                for (long i = 0; i < n; i++) {
                    RowKernels.set(os, f32, oo + i * es, Formulas.unary(op, RowKernels.get(xs, f32, xo + i * es), alpha));
                }
            }
        }
        return true;
    }

    /** out = a op b when the call fits the fast path; returns false otherwise. */
    static boolean binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        if (!eligible(out)) {
            return false;
        }
        long n = out.numel();
        long pa = period(a, out, n);
        long pb = period(b, out, n);
        if (pa == 0 || pb == 0) {
            return false;
        }
        MemorySegment as = a.segment();
        MemorySegment bs = b.segment();
        MemorySegment os = out.segment();
        if (partialOverlap(a, out, as, os) || partialOverlap(b, out, bs, os)) {
            return false;
        }
        boolean f32 = out.dtype() == DType.F32;
        long es = f32 ? 4 : 8;
        long ao = a.byteOffset();
        long bo = b.byteOffset();
        long oo = out.byteOffset();
        long ia = 0;
        long ib = 0;
        for (long i = 0; i < n; i++) {
            double x = RowKernels.get(as, f32, ao + ia * es);
            double y = RowKernels.get(bs, f32, bo + ib * es);
            double v = switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                default -> Formulas.binary(op, x, y);
            };
            RowKernels.set(os, f32, oo + i * es, v);
            if (++ia == pa) {
                ia = 0;
            }
            if (++ib == pb) {
                ib = 0;
            }
        }
        return true;
    }

    /** The fused kernels (affine, clamp, clamp mask, axpy, scaled product) on the fast path; false otherwise. */
    static boolean fused(Fused op, double p, double q, Tensor a, Tensor b, Tensor out) {
        if (!eligible(out)) {
            return false;
        }
        long n = out.numel();
        long pa = period(a, out, n);
        long pb = b == null ? 1 : period(b, out, n);
        if (pa == 0 || pb == 0 || (op == Fused.AXPY && pb != n)) {
            return false;
        }
        MemorySegment as = a.segment();
        MemorySegment bs = b == null ? null : b.segment();
        MemorySegment os = out.segment();
        if (partialOverlap(a, out, as, os) || b != null && partialOverlap(b, out, bs, os)) {
            return false;
        }
        boolean f32 = out.dtype() == DType.F32;
        if (f32 && (op == Fused.CLAMP || op == Fused.CLAMP_MASK)) {
            p = (float) p;
            q = (float) q;
        }
        long es = f32 ? 4 : 8;
        long ao = a.byteOffset();
        long bo = b == null ? 0 : b.byteOffset();
        long oo = out.byteOffset();
        long ia = 0;
        long ib = 0;
        for (long i = 0; i < n; i++) {
            double x = RowKernels.get(as, f32, ao + ia * es);
            double y = bs == null ? 0 : RowKernels.get(bs, f32, bo + ib * es);
            double v = switch (op) {
                case AFFINE -> x * p + q;
                case AXPY -> y + x * p;
                default -> Formulas.fused(op, p, q, x, y);
            };
            RowKernels.set(os, f32, oo + i * es, v);
            if (++ia == pa) {
                ia = 0;
            }
            if (++ib == pb) {
                ib = 0;
            }
        }
        return true;
    }
}
