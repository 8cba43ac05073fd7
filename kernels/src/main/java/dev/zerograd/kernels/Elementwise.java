package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Elementwise kernels with NumPy broadcasting, in f32 and f64, vectorised with the preferred species of the
 * Vector API and split across {@link Parallel} for large tensors. Every kernel takes its output as a
 * parameter and allocates nothing on the Java heap in steady state (after the JIT has compiled it).
 *
 * <p>Common rules: all operands share out's dtype (F32 or F64; {@code where}'s cond may be any dtype). The
 * output's shape is the broadcast shape: inputs align with its trailing dims and a size-1 or missing dim
 * broadcasts. Inputs may have any strides, stride-0 views included. The output is usually contiguous but may
 * be any non-overlapping strided view; it may alias an input exactly (same elements, same strides) for an
 * in-place update, but not partially. Violations throw {@link IllegalArgumentException} naming the kernel,
 * each tensor ({@link Tensor#describe()}) and what was expected; a stale handle throws
 * {@link IllegalStateException}.
 *
 * <p>Small contiguous calls take a scalar fast path ({@link SmallKernels}, Note [Small tensors]), and
 * other calls below {@link BlockMath#VECTOR_MIN} elements run the scalar reference loop (Note [Small calls
 * stay scalar] in {@link BlockMath}); the vector kernels' results do not depend on strides, thread count or where a row is split (Note [One formula
 * per element] in {@link EwTask}). {@code -Dzerograd.kernels.scalar=true} or {@link #setScalarReference} switches
 * every kernel here to {@link ElementwiseRef}, a plain double-precision loop over the same formulas
 * ({@link Formulas}), for debugging and for the tests that compare the two.
 */
public final class Elementwise {
    private Elementwise() {}

    private static volatile boolean scalarReference = Boolean.getBoolean("zerograd.kernels.scalar");

    /** Routes every kernel of this class to the scalar reference (true) or the vector kernels (false). */
    public static void setScalarReference(boolean on) {
        scalarReference = on;
    }

    /** True when the scalar reference is in use. */
    public static boolean scalarReference() {
        return scalarReference;
    }

    /**
     * out = op(x; alpha). alpha is the LEAKY_RELU slope, the ELU alpha, the POW_SCALAR exponent and the
     * SOFTPLUS beta (which must be positive); other ops ignore it.
     *
     * @param x not modified; must have out's shape (or broadcast to it)
     * @param out modified
     */
    public static void unary(UnaryOp op, Tensor x, double alpha, Tensor out) {
        Objects.requireNonNull(op, "Elementwise.unary: op is null");
        Objects.requireNonNull(x, "Elementwise.unary: x is null");
        Objects.requireNonNull(out, "Elementwise.unary: out is null");
        if (!scalarReference && SmallKernels.unary(op, x, alpha, out)) {
            return;
        }
        EwTask t = EwTask.current();
        t.unary(op, x, alpha, out);
        if (scalarReference || out.numel() < BlockMath.VECTOR_MIN) {
            t.g.clear();
            ElementwiseRef.unary(op, x, alpha, out);
        } else {
            t.execute();
        }
    }

    /**
     * out = a op b, broadcasting a and b to out's shape.
     *
     * @param a not modified (unless out aliases it)
     * @param b not modified (unless out aliases it)
     * @param out modified
     */
    public static void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        Objects.requireNonNull(op, "Elementwise.binary: op is null");
        Objects.requireNonNull(a, "Elementwise.binary: a is null");
        Objects.requireNonNull(b, "Elementwise.binary: b is null");
        Objects.requireNonNull(out, "Elementwise.binary: out is null");
        if (!scalarReference && SmallKernels.binary(op, a, b, out)) {
            return;
        }
        EwTask t = EwTask.current();
        t.binary(op, a, b, out);
        if (scalarReference || out.numel() < BlockMath.VECTOR_MIN) {
            t.g.clear();
            ElementwiseRef.binary(op, a, b, out);
        } else {
            t.execute();
        }
    }

    /**
     * out = cond != 0 ? a : b, broadcasting all three to out's shape. cond may be of any dtype; a NaN
     * condition counts as true (it is not 0).
     *
     * @param out modified
     */
    public static void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        Objects.requireNonNull(cond, "Elementwise.where: cond is null");
        Objects.requireNonNull(a, "Elementwise.where: a is null");
        Objects.requireNonNull(b, "Elementwise.where: b is null");
        Objects.requireNonNull(out, "Elementwise.where: out is null");
        EwTask t = EwTask.current();
        t.where(cond, a, b, out);
        if (scalarReference || out.numel() < BlockMath.VECTOR_MIN) {
            t.g.clear();
            ElementwiseRef.where(cond, a, b, out);
        } else {
            t.execute();
        }
    }

    /**
     * out = min(max(x, lo), hi); lo may be -inf and hi +inf. NaN stays NaN. For f32, lo and hi are first
     * rounded to f32.
     *
     * @param out modified
     */
    public static void clamp(Tensor x, double lo, double hi, Tensor out) {
        fused("Elementwise.clamp", Fused.CLAMP, lo, hi, x, null, out);
    }

    /**
     * out = (lo &lt;= x &lt;= hi) ? 1 : 0, the derivative mask of {@link #clamp} (the bounds count as inside;
     * NaN is outside). For f32, lo and hi are first rounded to f32.
     *
     * @param out modified
     */
    public static void clampMask(Tensor x, double lo, double hi, Tensor out) {
        fused("Elementwise.clampMask", Fused.CLAMP_MASK, lo, hi, x, null, out);
    }

    /**
     * out = alpha * x + beta (computed as x * alpha + beta, two roundings).
     *
     * @param out modified
     */
    public static void affine(Tensor x, double alpha, double beta, Tensor out) {
        fused("Elementwise.affine", Fused.AFFINE, alpha, beta, x, null, out);
    }

    /**
     * y += alpha * x, in place, with x broadcast to y's shape. y may be strided but must not overlap itself.
     *
     * @param x not modified
     * @param y modified
     */
    public static void axpyInPlace(double alpha, Tensor x, Tensor y) {
        fused("Elementwise.axpyInPlace", Fused.AXPY, alpha, 0, x, y, y);
    }

    /**
     * out = a * b * alpha, broadcasting like {@link #binary}.
     *
     * @param out modified
     */
    public static void mulScaled(Tensor a, Tensor b, double alpha, Tensor out) {
        fused("Elementwise.mulScaled", Fused.MUL_SCALED, alpha, 0, a, b, out);
    }

    /**
     * out = g * (1 - y * y): the gradient of tanh from its result y, times the upstream gradient g, in one
     * pass (g and y broadcast like {@link #binary}).
     *
     * @param out modified
     */
    public static void tanhBackward(Tensor g, Tensor y, Tensor out) {
        fused("Elementwise.tanhBackward", Fused.TANH_GRAD, 0, 0, g, y, out);
    }

    /**
     * out = g * y * (1 - y): the gradient of sigmoid from its result y, times the upstream gradient g, in one
     * pass (g and y broadcast like {@link #binary}).
     *
     * @param out modified
     */
    public static void sigmoidBackward(Tensor g, Tensor y, Tensor out) {
        fused("Elementwise.sigmoidBackward", Fused.SIGMOID_GRAD, 0, 0, g, y, out);
    }

    /**
     * out = g * (x &gt; 0 ? 1 : 0): the gradient of relu at its input x times the upstream gradient g, in one
     * pass (a product: NaN or infinity in g where x &lt;= 0 gives NaN, as g times the mask would).
     *
     * @param out modified
     */
    public static void reluBackward(Tensor g, Tensor x, Tensor out) {
        fused("Elementwise.reluBackward", Fused.RELU_GRAD, 0, 0, g, x, out);
    }

    private static void fused(String kernel, Fused op, double p, double q, Tensor a, Tensor b, Tensor out) {
        Objects.requireNonNull(a, kernel);
        Objects.requireNonNull(out, kernel);
        if (op.ordinal() >= Fused.AXPY.ordinal() && b == null) {
            throw new NullPointerException(kernel + ": second tensor is null");
        }
        if (!scalarReference && SmallKernels.fused(op, p, q, a, b, out)) {
            return;
        }
        EwTask t = EwTask.current();
        t.fused(kernel, op, p, q, a, b, out);
        if (scalarReference || out.numel() < BlockMath.VECTOR_MIN) {
            t.g.clear();
            ElementwiseRef.fused(op, p, q, a, b, out);
        } else {
            t.execute();
        }
    }

    /**
     * True when any element of x is NaN or +-Inf (anomaly checks). Integer tensors are always finite. Any
     * strides. Serial; stops at the first row that holds a non-finite value.
     */
    public static boolean hasNonFinite(Tensor x) {
        Objects.requireNonNull(x, "Elementwise.hasNonFinite: x is null");
        MemorySegment s = x.segment();
        if (!x.dtype().isFloatingPoint() || x.numel() == 0) {
            return false;
        }
        if (x.rank() == 0) {
            return !Double.isFinite(Convert.readFloating(s, x.byteOffset(), x.dtype()));
        }
        return nonFinite(x, s, 0, x.byteOffset());
    }

    private static boolean nonFinite(Tensor x, MemorySegment s, int d, long off) {
        long n = x.size(d);
        long stride = x.stride(d) * x.dtype().byteSize();
        if (d < x.rank() - 1) {
            for (long i = 0; i < n; i++, off += stride) {
                if (nonFinite(x, s, d + 1, off)) {
                    return true;
                }
            }
            return false;
        }
        DType dt = x.dtype();
        if (dt == DType.F32 && stride == 4) {
            return !VecF32.allFinite(s, off, n);
        }
        if (dt == DType.F64 && stride == 8) {
            return !VecF64.allFinite(s, off, n);
        }
        for (long i = 0; i < n; i++, off += stride) {
            double v = dt == DType.F32 ? s.get(JAVA_FLOAT_UNALIGNED, off)
                    : dt == DType.F64 ? s.get(JAVA_DOUBLE_UNALIGNED, off) : Convert.readFloating(s, off, dt);
            if (!Double.isFinite(v)) {
                return true;
            }
        }
        return false;
    }
}
