package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The small-tensor fast path of the elementwise kernels: outputs of at most {@value #MAX} elements, with
 * operands that are contiguous with out's shape or out's trailing dims (a bias row), or a single element
 * (possibly expanded with stride 0), and a contiguous output of the same dtype. Such calls skip broadcast
 * planning and the parallel machinery and run one loop.
 *
 * <p>Note [Small tensors]: for a 64-element op the planning in {@link EwTask} costs more than the arithmetic,
 * and the per-op cost of small ops is what a chain of elementwise ops is made of. F64 calls and calls with
 * a bias-row operand run a scalar loop computed in double ({@link Formulas}, the formulas of
 * {@link ElementwiseRef}); F32 calls run float loops ({@link #unaryF32}, {@link #binaryF32}). For F32 +, -,
 * *, /, tanh and the tanh, sigmoid and relu gradient products with whole operands, the whole vectors run
 * in a {@link VecF32} vector loop (Note [Dense loops] there) and only the tail per element, with the same
 * float operations: a float +, -, * or / is the double result rounded once, and tanh is one formula in both
 * (Note [Float tanh]), so every form agrees bit for bit. Measured in isolation on 64 floats, tanh went
 * from 150 to 45 ns. The vector loops, like the large path's, allocate nothing once C2 has compiled them
 * (interpreted, the Vector API boxes its vectors); {@code ElementwiseAllocationTest} holds both paths to
 * that after warm-up.
 *
 * <p>Note [Inlining budget]: C2 inlines a hot call only when the callee has at most 325 bytecodes
 * ({@code -XX:FreqInlineSize}), so a method that is too big is a real call on every op, with the spills
 * around it and without the checks its caller already made folded away. The heads of {@link #unary},
 * {@link #binary} and {@link #fused} take the dense F32 case in a few lines and hand everything else to
 * {@code unaryGeneral}, {@code binaryGeneral} and {@code fusedGeneral}, and the dense overlap test is its own
 * small method ({@link #denseOverlap}). A 64-float op then costs the caller's call to the op and one call to
 * its vector loop. {@code GradientTape.accumulate} is split the same way: the common case (a first
 * gradient for an intermediate, of its shape) comes first and inline, the rest in {@code accumulateSlow}.
 * Together these took the chain of 1,000 ops by 6 % (thread CPU time, run in alternation in one JVM).
 * {@code -XX:+LogCompilation} shows the decisions ({@code inline_fail reason='hot method too big'}).
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

    /**
     * {@link #partialOverlap} for the dense heads, where t and out are contiguous with the same byte size:
     * two such ranges overlap exactly when their starts are less than that size apart.
     */
    private static boolean denseOverlap(Tensor t, Tensor out, MemorySegment ts, MemorySegment os) {
        if (ts != os) {
            return false;
        }
        long d = t.byteOffset() - out.byteOffset();
        return d != 0 && Math.abs(d) < out.byteSize();
    }

    private static boolean eligible(Tensor out) {
        DType dt = out.dtype();
        return (dt == DType.F32 || dt == DType.F64) && out.isContiguous() && out.numel() <= MAX;
    }



    /** out = op(x; alpha) when the call fits the fast path; returns false (having done nothing) otherwise. */
    static boolean unary(UnaryOp op, Tensor x, double alpha, Tensor out) {
        if (op == UnaryOp.TANH && denseF32(x, x, out)) {
            MemorySegment xs = x.segment();
            MemorySegment os = out.segment();
            if (!denseOverlap(x, out, xs, os)) {
                tanhF32(xs, x.byteOffset(), os, out.byteOffset(), (int) out.numel());
                return true;
            }
        }
        return unaryGeneral(op, x, alpha, out);
    }

    /** {@link #unary} past its dense tanh head (Note [Inlining budget]). */
    private static boolean unaryGeneral(UnaryOp op, Tensor x, double alpha, Tensor out) {
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
        long xo = x.byteOffset();
        long oo = out.byteOffset();
        if (out.dtype() == DType.F32) {
            unaryF32(op, xs, xo, os, oo, (int) n, alpha);
        } else {
            unaryF64(op, xs, xo, os, oo, (int) n, alpha);
        }
        return true;
    }

    /**
     * True when a and b are laid out exactly like a small contiguous F32 out: the commonest call of a chain
     * of elementwise ops, tested first with a few field reads before the general placement rules.
     */
    private static boolean denseF32(Tensor a, Tensor b, Tensor out) {
        return out.dtype() == DType.F32 && a.dtype() == DType.F32 && b.dtype() == DType.F32 && out.numel() <= MAX
                && out.isContiguous() && a.isContiguous() && b.isContiguous() && a.sameShape(out) && b.sameShape(out);
    }

    /** out = a op b when the call fits the fast path; returns false otherwise. */
    static boolean binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        if (op.ordinal() <= BinaryOp.DIV.ordinal() && denseF32(a, b, out)) {
            MemorySegment as = a.segment();
            MemorySegment bs = b.segment();
            MemorySegment os = out.segment();
            if (!denseOverlap(a, out, as, os) && !denseOverlap(b, out, bs, os)) {
                binaryF32(op, as, a.byteOffset(), bs, b.byteOffset(), false, os, out.byteOffset(), (int) out.numel());
                return true;
            }
        }
        return binaryGeneral(op, a, b, out);
    }

    /** {@link #binary} past its dense head (Note [Inlining budget]). */
    private static boolean binaryGeneral(BinaryOp op, Tensor a, Tensor b, Tensor out) {
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
        if (f32 && pa == n && (pb == n || pb == 1) && op.ordinal() <= BinaryOp.DIV.ordinal()) {
            binaryF32(op, as, ao, bs, bo, pb == 1, os, oo, (int) n);
            return true;
        }
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
        if (op.ordinal() >= Fused.TANH_GRAD.ordinal() && denseF32(a, b, out)) {
            MemorySegment as = a.segment();
            MemorySegment bs = b.segment();
            MemorySegment os = out.segment();
            if (!denseOverlap(a, out, as, os) && !denseOverlap(b, out, bs, os)) {
                gradF32(op, as, a.byteOffset(), bs, b.byteOffset(), os, out.byteOffset(), (int) out.numel());
                return true;
            }
        }
        return fusedGeneral(op, p, q, a, b, out);
    }

    /** {@link #fused} past its dense head (Note [Inlining budget]). */
    private static boolean fusedGeneral(Fused op, double p, double q, Tensor a, Tensor b, Tensor out) {
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
        if (f32 && pa == n && pb == n && op.ordinal() >= Fused.TANH_GRAD.ordinal()) {
            gradF32(op, as, a.byteOffset(), bs, b.byteOffset(), os, out.byteOffset(), (int) n);
            return true;
        }
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

    private static final ValueLayout.OfFloat F = JAVA_FLOAT_UNALIGNED;

    private static final ValueLayout.OfDouble D = JAVA_DOUBLE_UNALIGNED;

    /** out[i] = op(x[i]) over n contiguous doubles. */
    private static void unaryF64(UnaryOp op, MemorySegment xs, long xo, MemorySegment os, long oo, int n, double alpha) {
        switch (op) {
            case NEG -> {
                for (int i = 0; i < n; i++) {
                    os.set(D, oo + 8L * i, -xs.get(D, xo + 8L * i));
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    os.set(D, oo + 8L * i, Math.max(xs.get(D, xo + 8L * i), 0.0));
                }
            }
            case RELU_GRAD -> {
                for (int i = 0; i < n; i++) {
                    os.set(D, oo + 8L * i, xs.get(D, xo + 8L * i) > 0 ? 1.0 : 0.0);
                }
            }
            case TANH_GRAD_FROM_Y -> {
                for (int i = 0; i < n; i++) {
                    double y = xs.get(D, xo + 8L * i);
                    os.set(D, oo + 8L * i, 1.0 - y * y);
                }
            }
            case SQUARE -> {
                for (int i = 0; i < n; i++) {
                    double v = xs.get(D, xo + 8L * i);
                    os.set(D, oo + 8L * i, v * v);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    os.set(D, oo + 8L * i, Formulas.unary(op, xs.get(D, xo + 8L * i), alpha));
                }
            }
        }
    }

    /** out[i] = op(x[i]) over n contiguous floats. */
    private static void unaryF32(UnaryOp op, MemorySegment xs, long xo, MemorySegment os, long oo, int n, double alpha) {
        switch (op) {
            case NEG -> {
                for (int i = 0; i < n; i++) {
                    os.set(F, oo + 4L * i, -xs.get(F, xo + 4L * i));
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    os.set(F, oo + 4L * i, Math.max(xs.get(F, xo + 4L * i), 0f));
                }
            }
            case RELU_GRAD -> {
                for (int i = 0; i < n; i++) {
                    os.set(F, oo + 4L * i, xs.get(F, xo + 4L * i) > 0 ? 1f : 0f);
                }
            }
            case TANH -> tanhF32(xs, xo, os, oo, n);
            case TANH_GRAD_FROM_Y -> {
                for (int i = 0; i < n; i++) {
                    double y = xs.get(F, xo + 4L * i);
                    os.set(F, oo + 4L * i, (float) (1.0 - y * y));
                }
            }
            case SQUARE -> {
                for (int i = 0; i < n; i++) {
                    float v = xs.get(F, xo + 4L * i);
                    os.set(F, oo + 4L * i, v * v);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    os.set(F, oo + 4L * i, (float) Formulas.unary(op, xs.get(F, xo + 4L * i), alpha));
                }
            }
        }
    }

    /** tanh over n contiguous floats: whole vectors in VecF32's loop, the tail with the same operations per element (Note [Float tanh]). */
    private static void tanhF32(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        for (int i = VecF32.denseTanh(xs, xo, os, oo, n); i < n; i++) {
            os.set(F, oo + 4L * i, Formulas.tanhF32(xs.get(F, xo + 4L * i)));
        }
    }

    /**
     * out[i] = g[i] * f'(y[i]) over n contiguous floats, f' the tanh or sigmoid derivative from the result y or
     * the relu derivative at the input:
     * the whole vectors in {@link VecF32#denseGrad}, the tail with the same float operations.
     */
    private static void gradF32(Fused op, MemorySegment gs, long go, MemorySegment ys, long yo, MemorySegment os, long oo, int n) {
        for (int i = VecF32.denseGrad(op, gs, go, ys, yo, os, oo, n); i < n; i++) {
            float g = gs.get(F, go + 4L * i);
            float y = ys.get(F, yo + 4L * i);
            os.set(F, oo + 4L * i, switch (op) {
                case TANH_GRAD -> g * (1f - y * y);
                case SIGMOID_GRAD -> g * (y * (1f - y));
                default -> g * (y > 0 ? 1f : 0f);
            });
        }
    }

    /**
     * out[i] = a[i] op b[i] (or b[0] when {@code scalarB}) over n contiguous floats, op one of + - * /. With b
     * a whole operand, the whole vectors run in {@link VecF32#denseArithmetic} and the tail here (one rounding per
     * element in both, so the results are the same as the scalar loop's).
     */
    private static void binaryF32(BinaryOp op, MemorySegment as, long ao, MemorySegment bs, long bo, boolean scalarB,
            MemorySegment os, long oo, int n) {
        int start = scalarB ? 0 : VecF32.denseArithmetic(op, as, ao, bs, bo, os, oo, n);
        if (start < n) {
            binaryF32Tail(op, as, ao, bs, bo, scalarB ? 0 : 4, os, oo, start, n);
        }
    }

    /** Elements start to n of {@link #binaryF32}, one at a time (b's stride sb bytes: 0 for a scalar b). */
    private static void binaryF32Tail(BinaryOp op, MemorySegment as, long ao, MemorySegment bs, long bo, long sb,
            MemorySegment os, long oo, int start, int n) {
        switch (op) {
            case ADD -> {
                for (int i = start; i < n; i++) {
                    os.set(F, oo + 4L * i, as.get(F, ao + 4L * i) + bs.get(F, bo + sb * i));
                }
            }
            case SUB -> {
                for (int i = start; i < n; i++) {
                    os.set(F, oo + 4L * i, as.get(F, ao + 4L * i) - bs.get(F, bo + sb * i));
                }
            }
            case MUL -> {
                for (int i = start; i < n; i++) {
                    os.set(F, oo + 4L * i, as.get(F, ao + 4L * i) * bs.get(F, bo + sb * i));
                }
            }
            default -> {
                for (int i = start; i < n; i++) {
                    os.set(F, oo + 4L * i, as.get(F, ao + 4L * i) / bs.get(F, bo + sb * i));
                }
            }
        }
    }
}
