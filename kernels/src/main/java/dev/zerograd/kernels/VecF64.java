package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The f64 vector loops of the elementwise kernels, one per kernel family, written against the preferred
 * species. Each loop processes {@code nv} whole vectors: operand {@code i} is read at
 * {@code (segment, offset + k * step)}, where a step of 0 re-reads the same vector (a broadcast slot) and a
 * step of one vector walks a contiguous row; {@link EwTask} feeds tails and strided rows through scratch
 * slots so every element goes through the same lane arithmetic (Note [One formula per element] there).
 * {@link VecF32} is the same file for f32.
 *
 * <p>Note [Vector code shape]: the op is switched on inside the loop and each case loads, computes and
 * stores by itself, so no vector value flows through a merge point. C2 then keeps every vector in
 * registers; a vector that merges from several cases, or that reaches an operation C2 does not intrinsify
 * (lanewise POW on AVX2, for one), is boxed on the heap per iteration. Operators are constants at each call
 * site. Ops without a vector form here (pow, erf) run a scalar loop over the lanes of the same vector.
 * The allocation test in {@code ElementwiseAllocationTest} guards this.
 */
final class VecF64 {
    private VecF64() {}

    static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final long VB = S.vectorByteSize();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final long EB = 8;

    private static DoubleVector ld(MemorySegment s, long off) {
        return DoubleVector.fromMemorySegment(S, s, off, NATIVE);
    }

    private static void st(DoubleVector v, MemorySegment s, long off) {
        v.intoMemorySegment(s, off, NATIVE);
    }

    private static double get(MemorySegment s, long off) {
        return s.get(JAVA_DOUBLE_UNALIGNED, off);
    }

    private static void set(MemorySegment s, long off, double v) {
        s.set(JAVA_DOUBLE_UNALIGNED, off, v);
    }

    /** 1 / (1 + e^-x); 0 (not NaN) when e^-x overflows. */
    private static DoubleVector sigmoid(DoubleVector x, DoubleVector one) {
        return one.div(one.add(x.neg().lanewise(VectorOperators.EXP)));
    }

    /** The value for ops whose forward result is a selection: 1 where {@code m}, else {@code other}. */
    private static DoubleVector oneWhere(VectorMask<Double> m, DoubleVector one, DoubleVector other) {
        return other.blend(one, m);
    }

    static void unary(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO, long nv) {
        final double a = alpha;
        final DoubleVector zero = DoubleVector.zero(S);
        final DoubleVector one = DoubleVector.broadcast(S, 1.0);
        final DoubleVector minusOne = DoubleVector.broadcast(S, -1.0);
        final DoubleVector va = DoubleVector.broadcast(S, a);
        final double k0 = Formulas.SQRT_2_OVER_PI;
        final double c = Formulas.GELU_C;
        for (long k = 0; k < nv; k++, x += dx, o += dO) {
            DoubleVector v = ld(xs, x);
            switch (op) {
                case NEG -> st(v.neg(), os, o);
                case EXP -> st(v.lanewise(VectorOperators.EXP), os, o);
                case LOG -> st(v.lanewise(VectorOperators.LOG), os, o);
                case SQRT -> st(v.sqrt(), os, o);
                case RSQRT -> st(one.div(v.sqrt()), os, o);
                case ABS -> st(v.abs(), os, o);
                case SIN -> st(v.lanewise(VectorOperators.SIN), os, o);
                case COS -> st(v.lanewise(VectorOperators.COS), os, o);
                case TANH -> st(v.lanewise(VectorOperators.TANH), os, o);
                case SIGMOID -> st(sigmoid(v, one), os, o);
                case RELU -> st(v.max(zero), os, o);
                case LEAKY_RELU -> st(v.mul(a).blend(v, v.compare(VectorOperators.GT, 0.0)), os, o);
                case ELU -> st(v.lanewise(VectorOperators.EXPM1).mul(a).blend(v, v.compare(VectorOperators.GT, 0.0)), os, o);
                case SILU -> st(v.div(one.add(v.neg().lanewise(VectorOperators.EXP))), os, o);
                case GELU_TANH -> {
                    DoubleVector u = v.mul(v).mul(v).mul(c).add(v).mul(k0);
                    st(v.mul(0.5).mul(u.lanewise(VectorOperators.TANH).add(one)), os, o);
                }
                case GELU_ERF -> {
                    for (long j = 0; j < VB; j += EB) {
                        set(os, o + j, Formulas.geluErf(get(xs, x + j)));
                    }
                }
                case SOFTPLUS -> {
                    DoubleVector bx = v.mul(a);
                    DoubleVector sp = bx.lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P).div(a);
                    st(sp.blend(v, bx.compare(VectorOperators.GT, Formulas.SOFTPLUS_THRESHOLD)), os, o);
                }
                case POW_SCALAR -> {
                    if (alpha == 2.0) {
                        st(v.mul(v), os, o);
                    } else if (alpha == 1.0) {
                        st(v, os, o);
                    } else if (alpha == 0.0) {
                        st(one, os, o);
                    } else {
                        for (long j = 0; j < VB; j += EB) {
                            set(os, o + j, Math.pow(get(xs, x + j), alpha));
                        }
                    }
                }
                case SQUARE -> st(v.mul(v), os, o);
                case RECIPROCAL -> st(one.div(v), os, o);
                case SIGN, ABS_GRAD -> st(v.blend(one, v.compare(VectorOperators.GT, 0.0))
                        .blend(minusOne, v.compare(VectorOperators.LT, 0.0)), os, o);
                case LOG1P -> st(v.lanewise(VectorOperators.LOG1P), os, o);
                case EXPM1 -> st(v.lanewise(VectorOperators.EXPM1), os, o);
                case ERF -> {
                    for (long j = 0; j < VB; j += EB) {
                        set(os, o + j, Erf.erf(get(xs, x + j)));
                    }
                }
                case RELU_GRAD -> st(oneWhere(v.compare(VectorOperators.GT, 0.0), one, zero), os, o);
                case LEAKY_RELU_GRAD -> st(oneWhere(v.compare(VectorOperators.GT, 0.0), one, va), os, o);
                case ELU_GRAD -> st(v.lanewise(VectorOperators.EXP).mul(a).blend(one, v.compare(VectorOperators.GT, 0.0)), os, o);
                case SILU_GRAD -> {
                    DoubleVector s = sigmoid(v, one);
                    st(s.mul(v.mul(one.sub(s)).add(one)), os, o);
                }
                case GELU_TANH_GRAD -> {
                    DoubleVector x2 = v.mul(v);
                    DoubleVector t = x2.mul(v).mul(c).add(v).mul(k0).lanewise(VectorOperators.TANH);
                    DoubleVector du = x2.mul(3.0 * c).add(one).mul(k0);
                    st(t.add(one).mul(0.5).add(v.mul(0.5).mul(one.sub(t.mul(t))).mul(du)), os, o);
                }
                case GELU_ERF_GRAD -> {
                    for (long j = 0; j < VB; j += EB) {
                        set(os, o + j, Formulas.geluErfGrad(get(xs, x + j)));
                    }
                }
                case SOFTPLUS_GRAD -> {
                    DoubleVector bx = v.mul(a);
                    st(sigmoid(bx, one).blend(one, bx.compare(VectorOperators.GT, Formulas.SOFTPLUS_THRESHOLD)), os, o);
                }
                case SIGMOID_GRAD_FROM_Y -> st(v.mul(one.sub(v)), os, o);
                case TANH_GRAD_FROM_Y -> st(one.sub(v.mul(v)), os, o);
            }
        }
    }

    static void binary(BinaryOp op, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
                       MemorySegment os, long o, long dO, long nv) {
        final DoubleVector zero = DoubleVector.zero(S);
        final DoubleVector one = DoubleVector.broadcast(S, 1.0);
        for (long k = 0; k < nv; k++, a += da, b += db, o += dO) {
            DoubleVector x = ld(as, a);
            DoubleVector y = ld(bs, b);
            switch (op) {
                case ADD -> st(x.add(y), os, o);
                case SUB -> st(x.sub(y), os, o);
                case MUL -> st(x.mul(y), os, o);
                case DIV -> st(x.div(y), os, o);
                case POW -> {
                    for (long j = 0; j < VB; j += EB) {
                        set(os, o + j, Math.pow(get(as, a + j), get(bs, b + j)));
                    }
                }
                case MAXIMUM -> st(x.max(y), os, o);
                case MINIMUM -> st(x.min(y), os, o);
                case GT -> st(oneWhere(x.compare(VectorOperators.GT, y), one, zero), os, o);
                case GE -> st(oneWhere(x.compare(VectorOperators.GE, y), one, zero), os, o);
                case LT -> st(oneWhere(x.compare(VectorOperators.LT, y), one, zero), os, o);
                case LE -> st(oneWhere(x.compare(VectorOperators.LE, y), one, zero), os, o);
                case EQ -> st(oneWhere(x.compare(VectorOperators.EQ, y), one, zero), os, o);
                case NE -> st(oneWhere(x.compare(VectorOperators.NE, y), one, zero), os, o);
                case ATAN2 -> st(x.lanewise(VectorOperators.ATAN2, y), os, o);
            }
        }
    }

    /** The fused kernels; p and q are their scalars (see {@link Fused}). b is unused by the one-input ones. */
    static void fused(Fused op, double p, double q, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
                      MemorySegment os, long o, long dO, long nv) {
        final double pf = p;
        final double qf = q;
        final DoubleVector zero = DoubleVector.zero(S);
        final DoubleVector one = DoubleVector.broadcast(S, 1.0);
        for (long k = 0; k < nv; k++, a += da, b += db, o += dO) {
            DoubleVector x = ld(as, a);
            switch (op) {
                case AFFINE -> st(x.mul(pf).add(qf), os, o);
                case CLAMP -> st(x.max(pf).min(qf), os, o);
                case CLAMP_MASK -> st(oneWhere(x.compare(VectorOperators.GE, pf).and(x.compare(VectorOperators.LE, qf)), one, zero), os, o);
                case AXPY -> st(ld(bs, b).add(x.mul(pf)), os, o);
                case MUL_SCALED -> st(x.mul(ld(bs, b)).mul(pf), os, o);
            }
        }
    }

    /** out = cond != 0 ? a : b, with cond already in f64. */
    static void where(MemorySegment cs, long c, long dc, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
                      MemorySegment os, long o, long dO, long nv) {
        for (long k = 0; k < nv; k++, c += dc, a += da, b += db, o += dO) {
            st(ld(bs, b).blend(ld(as, a), ld(cs, c).compare(VectorOperators.NE, 0.0)), os, o);
        }
    }

    /** True when none of the n contiguous elements at off is NaN or infinite (x * 0 is NaN exactly for those). */
    static boolean allFinite(MemorySegment s, long off, long n) {
        DoubleVector acc = DoubleVector.zero(S);
        long bytes = n * EB;
        long k = 0;
        for (; k + VB <= bytes; k += VB) {
            acc = acc.add(ld(s, off + k).mul(0.0));
        }
        for (; k < bytes; k += EB) {
            if (!Double.isFinite(get(s, off + k))) {
                return false;
            }
        }
        return !Double.isNaN(acc.reduceLanes(VectorOperators.ADD));
    }
}
