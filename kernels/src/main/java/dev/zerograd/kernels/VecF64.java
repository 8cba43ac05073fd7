package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The f64 vector loops of the elementwise kernels, written against the preferred species. Each loop
 * processes {@code nv} whole vectors: an operand is read at {@code (segment, offset + k * step)}, where a
 * step of 0 re-reads the same vector (a broadcast slot) and a step of one vector walks a contiguous row;
 * {@link EwTask} feeds row tails and strided rows through scratch slots, so every element goes through the
 * same lane arithmetic (Note [One formula per element] there). {@link VecF32} is the same file for f32, line
 * for line, except that the tanh family (TANH, GELU_TANH, GELU_TANH_GRAD) runs per lane in f64.
 *
 * <p>Note [Vector code shape]: one switch on the op picks one small loop per op, so every operator is a
 * constant at its call site and no loop contains a branch on the op. This is the shape C2 compiles
 * reliably: vectors stay in registers, and nothing is boxed on the heap. Things that were measured to break
 * it, each boxing vectors on every iteration: a vector value merging from several switch cases; a
 * non-intrinsic vector operation anywhere in the method (lanewise POW on AVX2); a helper method taking or
 * returning a vector that C2 declined to inline (past NodeCountInliningCutoff in a large method); a switch
 * on the op inside the loop, whose profile-based loop predicates kept failing and sent C2 into a
 * deoptimise-recompile cycle. Hence also the split into families of a few ops per method. Ops without a
 * vector form (pow, erf) run a scalar double-precision call per lane. {@code ElementwiseAllocationTest}
 * guards all of this.
 */
final class VecF64 {
    private VecF64() {}

    static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final long VB = S.vectorByteSize();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final long EB = 8;

    private static double get(MemorySegment s, long off) {
        return s.get(JAVA_DOUBLE_UNALIGNED, off);
    }

    private static void set(MemorySegment s, long off, double v) {
        s.set(JAVA_DOUBLE_UNALIGNED, off, v);
    }

    static void unary(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO, int nv) {
        switch (op) {
            case NEG, SQRT, RSQRT, ABS, RELU, LEAKY_RELU, SQUARE, RECIPROCAL, SIGN, ABS_GRAD -> unaryCheap(op, alpha, xs, x, dx, os, o, dO, nv);
            case RELU_GRAD, LEAKY_RELU_GRAD, SIGMOID_GRAD_FROM_Y, TANH_GRAD_FROM_Y -> unaryCheapGrad(op, alpha, xs, x, dx, os, o, dO, nv);
            case EXP, LOG, SIN, COS, LOG1P, EXPM1 -> unaryMath(op, xs, x, dx, os, o, dO, nv);
            case SIGMOID, ELU, SILU, SOFTPLUS -> unaryActivation(op, alpha, xs, x, dx, os, o, dO, nv);
            case ELU_GRAD, SILU_GRAD, SOFTPLUS_GRAD -> unaryActivationGrad(op, alpha, xs, x, dx, os, o, dO, nv);
            case GELU_ERF, ERF, GELU_ERF_GRAD, POW_SCALAR, TANH, GELU_TANH, GELU_TANH_GRAD -> unaryPerLane(op, alpha, xs, x, dx, os, o, dO, nv);
        }
    }

    private static void unaryCheap(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO,
            int nv) {
        final double a = alpha;
        final DoubleVector one = DoubleVector.broadcast(S, 1.0);
        final DoubleVector minusOne = DoubleVector.broadcast(S, -1.0);
        switch (op) {
            case NEG -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.neg().intoMemorySegment(os, o, NATIVE);
                }
            }
            case SQRT -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.sqrt().intoMemorySegment(os, o, NATIVE);
                }
            }
            case RSQRT -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    one.div(v.sqrt()).intoMemorySegment(os, o, NATIVE);
                }
            }
            case ABS -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.abs().intoMemorySegment(os, o, NATIVE);
                }
            }
            case RELU -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.max(0.0).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LEAKY_RELU -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.mul(a).blend(v, v.compare(VectorOperators.GT, 0.0)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SQUARE -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.mul(v).intoMemorySegment(os, o, NATIVE);
                }
            }
            case RECIPROCAL -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    one.div(v).intoMemorySegment(os, o, NATIVE);
                }
            }
            // signum: +-0 and NaN fail both comparisons and keep their own value
            case SIGN, ABS_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.blend(one, v.compare(VectorOperators.GT, 0.0)).blend(minusOne, v.compare(VectorOperators.LT, 0.0)).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    private static void unaryCheapGrad(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO,
            int nv) {
        final DoubleVector zero = DoubleVector.zero(S);
        final DoubleVector one = DoubleVector.broadcast(S, 1.0);
        final DoubleVector va = DoubleVector.broadcast(S, alpha);
        switch (op) {
            case RELU_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.GT, 0.0)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LEAKY_RELU_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    va.blend(one, v.compare(VectorOperators.GT, 0.0)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SIGMOID_GRAD_FROM_Y -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.mul(one.sub(v)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case TANH_GRAD_FROM_Y -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    one.sub(v.mul(v)).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    private static void unaryMath(UnaryOp op, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO,
            int nv) {
        switch (op) {
            case EXP -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.EXP).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LOG -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.LOG).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SIN -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.SIN).intoMemorySegment(os, o, NATIVE);
                }
            }
            case COS -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.COS).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LOG1P -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.LOG1P).intoMemorySegment(os, o, NATIVE);
                }
            }
            case EXPM1 -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.EXPM1).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    private static void unaryActivation(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO,
            int nv) {
        final double a = alpha;
        final double threshold = Formulas.SOFTPLUS_THRESHOLD;
        final DoubleVector one = DoubleVector.broadcast(S, 1.0);
        switch (op) {
            // 1 / (1 + e^-x): 0, not NaN, where e^-x overflows
            case SIGMOID -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    one.div(one.add(v.neg().lanewise(VectorOperators.EXP))).intoMemorySegment(os, o, NATIVE);
                }
            }
            case ELU -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.EXPM1).mul(a).blend(v, v.compare(VectorOperators.GT, 0.0)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SILU -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.div(one.add(v.neg().lanewise(VectorOperators.EXP))).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SOFTPLUS -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    DoubleVector bx = v.mul(a);
                    bx.lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P).div(a).blend(v, bx.compare(VectorOperators.GT, threshold)).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    private static void unaryActivationGrad(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO,
            int nv) {
        final double a = alpha;
        final double threshold = Formulas.SOFTPLUS_THRESHOLD;
        final DoubleVector one = DoubleVector.broadcast(S, 1.0);
        switch (op) {
            case ELU_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.EXP).mul(a).blend(one, v.compare(VectorOperators.GT, 0.0)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SILU_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    DoubleVector s = one.div(one.add(v.neg().lanewise(VectorOperators.EXP)));
                    s.mul(v.mul(one.sub(s)).add(one)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SOFTPLUS_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, xs, x, NATIVE);
                    DoubleVector bx = v.mul(a);
                    one.div(one.add(bx.neg().lanewise(VectorOperators.EXP))).blend(one, bx.compare(VectorOperators.GT, threshold)).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    /**
     * Ops computed by a scalar double-precision call per lane: erf and pow have no vector form here, and the
     * vector library's double tanh measured about twice as slow per element as {@link Math#tanh} on AVX2.
     */
    private static void unaryPerLane(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o,
            long dO, int nv) {
        for (int k = 0; k < nv; k++, x += dx, o += dO) {
            for (long j = 0; j < VB; j += EB) {
                double v = get(xs, x + j);
                set(os, o + j, switch (op) {
                    case GELU_ERF -> Formulas.geluErf(v);
                    case ERF -> Erf.erf(v);
                    case GELU_ERF_GRAD -> Formulas.geluErfGrad(v);
                    case POW_SCALAR -> Formulas.powScalar(v, alpha);
                    case TANH, GELU_TANH, GELU_TANH_GRAD -> Formulas.unary(op, v, alpha);
                    default -> throw new IllegalStateException(op.name());
                });
            }
        }
    }

    static void binary(BinaryOp op, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
            MemorySegment os, long o, long dO, int nv) {
        switch (op) {
            case ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, ATAN2 -> arithmetic(op, as, a, da, bs, b, db, os, o, dO, nv);
            case GT, GE, LT, LE, EQ, NE -> compare(op, as, a, da, bs, b, db, os, o, dO, nv);
            case POW -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    for (long j = 0; j < VB; j += EB) {
                        set(os, o + j, Math.pow(get(as, a + j), get(bs, b + j)));
                    }
                }
            }
        }
    }

    private static void arithmetic(BinaryOp op, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
            MemorySegment os, long o, long dO, int nv) {
        switch (op) {
            case ADD -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.add(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SUB -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.sub(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case MUL -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.mul(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case DIV -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.div(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case MAXIMUM -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.max(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case MINIMUM -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.min(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case ATAN2 -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.lanewise(VectorOperators.ATAN2, w).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    private static void compare(BinaryOp op, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
            MemorySegment os, long o, long dO, int nv) {
        final DoubleVector zero = DoubleVector.zero(S);
        final DoubleVector one = DoubleVector.broadcast(S, 1.0);
        switch (op) {
            case GT -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.GT, w)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case GE -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.GE, w)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LT -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.LT, w)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LE -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.LE, w)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case EQ -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.EQ, w)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case NE -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.NE, w)).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    /** The fused kernels; p and q are their scalars (see {@link Fused}). b is unused by the one-input ones. */
    static void fused(Fused op, double p, double q, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
            MemorySegment os, long o, long dO, int nv) {
        if (op.ordinal() >= Fused.TANH_GRAD.ordinal()) {
            gradProducts(op, as, a, da, bs, b, db, os, o, dO, nv); // a family of its own (Note [Vector code shape])
            return;
        }
        final double pf = p;
        final double qf = q;
        final DoubleVector zero = DoubleVector.zero(S);
        final DoubleVector one = DoubleVector.broadcast(S, 1.0);
        switch (op) {
            case AFFINE -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    v.mul(pf).add(qf).intoMemorySegment(os, o, NATIVE);
                }
            }
            case CLAMP -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    v.max(pf).min(qf).intoMemorySegment(os, o, NATIVE);
                }
            }
            case CLAMP_MASK -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.GE, pf).and(v.compare(VectorOperators.LE, qf))).intoMemorySegment(os, o, NATIVE);
                }
            }
            case AXPY -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    w.add(v.mul(pf)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case MUL_SCALED -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.mul(w).mul(pf).intoMemorySegment(os, o, NATIVE);
                }
            }
        }
    }

    /** The gradient products g * f'(y) of {@link Fused#TANH_GRAD}, {@link Fused#SIGMOID_GRAD} and {@link Fused#RELU_GRAD}. */
    private static void gradProducts(Fused op, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
            MemorySegment os, long o, long dO, int nv) {
        final DoubleVector zero = DoubleVector.zero(S);
        final DoubleVector one = DoubleVector.broadcast(S, 1.0);
        switch (op) {
            case TANH_GRAD -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.mul(one.sub(w.mul(w))).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SIGMOID_GRAD -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.mul(w.mul(one.sub(w))).intoMemorySegment(os, o, NATIVE);
                }
            }
            case RELU_GRAD -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
                    DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.mul(zero.blend(one, w.compare(VectorOperators.GT, 0.0))).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    /** out = cond != 0 ? a : b, with cond already in f64. */
    static void where(MemorySegment cs, long c, long dc, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
            MemorySegment os, long o, long dO, int nv) {
        for (int k = 0; k < nv; k++, c += dc, a += da, b += db, o += dO) {
            DoubleVector cond = DoubleVector.fromMemorySegment(S, cs, c, NATIVE);
            DoubleVector v = DoubleVector.fromMemorySegment(S, as, a, NATIVE);
            DoubleVector w = DoubleVector.fromMemorySegment(S, bs, b, NATIVE);
            w.blend(v, cond.compare(VectorOperators.NE, 0.0)).intoMemorySegment(os, o, NATIVE);
        }
    }

    /** True when none of the n contiguous elements at off is NaN or infinite (x * 0 is NaN exactly for those). */
    static boolean allFinite(MemorySegment s, long off, long n) {
        DoubleVector acc = DoubleVector.zero(S);
        long bytes = n * EB;
        long k = 0;
        for (; k + VB <= bytes; k += VB) {
            acc = acc.add(DoubleVector.fromMemorySegment(S, s, off + k, NATIVE).mul(0.0));
        }
        for (; k < bytes; k += EB) {
            if (!Double.isFinite(get(s, off + k))) {
                return false;
            }
        }
        return !Double.isNaN(acc.reduceLanes(VectorOperators.ADD));
    }
}
