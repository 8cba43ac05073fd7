package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The scalar reference of {@link Elementwise}: a plain loop over the output's elements in row-major order
 * that finds each operand's element by dividing the flat index (broadcasting by hand), evaluates the
 * {@link Formulas} in double precision and rounds once to the output dtype. Slow on purpose and independent
 * of {@link Broadcast} and the vector loops, so that the tests can compare the two. Allocation-free; callers
 * validate the arguments first.
 *
 * <p>Numerical caveat: for f32 the vector kernels compute in f32, this in f64, so the two agree exactly on
 * single IEEE operations (add, sub, mul, div, sqrt, min, max, comparisons: rounding the exact double result
 * once to f32 is the f32 result), and within a few f32 ulps on composite formulas and transcendentals. For
 * f64 they differ only where the vector library's exp/log/tanh/... differ from {@link Math}'s (about 1 ulp).
 */
final class ElementwiseRef {
    private ElementwiseRef() {}

    static void unary(UnaryOp op, Tensor x, double alpha, Tensor out) {
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        for (long i = 0, n = out.numel(); i < n; i++) {
            double v = Formulas.unary(op, read(xs, x, out, i), alpha);
            write(os, out, i, v);
        }
    }

    static void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        MemorySegment as = a.segment();
        MemorySegment bs = b.segment();
        MemorySegment os = out.segment();
        for (long i = 0, n = out.numel(); i < n; i++) {
            write(os, out, i, Formulas.binary(op, read(as, a, out, i), read(bs, b, out, i)));
        }
    }

    static void fused(Fused op, double p, double q, Tensor a, Tensor b, Tensor out) {
        if ((op == Fused.CLAMP || op == Fused.CLAMP_MASK) && out.dtype() == DType.F32) {
            p = (float) p;
            q = (float) q;
        }
        MemorySegment as = a.segment();
        MemorySegment bs = b == null ? null : b.segment();
        MemorySegment os = out.segment();
        for (long i = 0, n = out.numel(); i < n; i++) {
            double y = b == null ? 0 : read(bs, b, out, i);
            write(os, out, i, Formulas.fused(op, p, q, read(as, a, out, i), y));
        }
    }

    static void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        MemorySegment cs = cond.segment();
        MemorySegment as = a.segment();
        MemorySegment bs = b.segment();
        MemorySegment os = out.segment();
        for (long i = 0, n = out.numel(); i < n; i++) {
            write(os, out, i, read(cs, cond, out, i) != 0 ? read(as, a, out, i) : read(bs, b, out, i));
        }
    }

    /** The element of t that broadcasts to out's flat (row-major) index i. */
    private static double read(MemorySegment s, Tensor t, Tensor out, long i) {
        long e = 0;
        int shift = out.rank() - t.rank();
        for (int d = out.rank() - 1; d >= 0; d--) {
            long n = out.size(d);
            long idx = i % n;
            i /= n;
            int td = d - shift;
            if (td >= 0 && t.size(td) != 1) {
                e += idx * t.stride(td);
            }
        }
        return Convert.readFloating(s, t.byteOffset() + e * t.dtype().byteSize(), t.dtype());
    }

    private static void write(MemorySegment s, Tensor out, long i, double v) {
        long e = 0;
        for (int d = out.rank() - 1; d >= 0; d--) {
            long n = out.size(d);
            e += (i % n) * out.stride(d);
            i /= n;
        }
        Convert.writeDouble(s, out.byteOffset() + e * out.dtype().byteSize(), out.dtype(), v);
    }
}
