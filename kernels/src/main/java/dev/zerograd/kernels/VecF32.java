package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The f32 vector loops of the elementwise kernels, written against the preferred species. Each loop
 * processes {@code nv} whole vectors: an operand is read at {@code (segment, offset + k * step)}, where a
 * step of 0 re-reads the same vector (a broadcast slot) and a step of one vector walks a contiguous row;
 * {@link EwTask} feeds row tails and strided rows through scratch slots, so every element goes through the
 * same lane arithmetic (Note [One formula per element] there). {@link VecF64} is the same file for f64, line
 * for line.
 *
 * <p>Note [Vector code shape]: one switch on the op picks one small loop per op, so every operator is a
 * constant at its call site and no loop contains a branch on the op. This is the shape C2 compiles
 * reliably: vectors stay in registers, and nothing is boxed on the heap. Things that were measured to break
 * it, each boxing vectors on every iteration: a vector value merging from several switch cases; a
 * non-intrinsic vector operation anywhere in the method (lanewise POW on AVX2); a helper method taking or
 * returning a vector that C2 declined to inline (past NodeCountInliningCutoff in a large method); a switch
 * on the op inside the loop, whose profile-based loop predicates kept failing and sent C2 into a
 * deoptimise-recompile cycle. Hence also the split into families of a few ops per method: tanh (a long
 * chain of lanewise operations) and the gradient products each have their own method. Inside the shared
 * ones, they let a CNN's steps compile those methods first and a tanh MLP run after it in the same JVM then
 * allocate tens of MB per step from the recompiled code ({@code WorkloadsTest} in bench reproduces that
 * sequence). Ops without a
 * vector form (pow, erf) run a scalar double-precision call per lane. {@code ElementwiseAllocationTest}
 * guards all of this.
 */
final class VecF32 {
    private VecF32() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final long VB = S.vectorByteSize();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final long EB = 4;

    private static float get(MemorySegment s, long off) {
        return s.get(JAVA_FLOAT_UNALIGNED, off);
    }

    private static void set(MemorySegment s, long off, double v) {
        s.set(JAVA_FLOAT_UNALIGNED, off, (float) v);
    }

    static void unary(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO, int nv) {
        if (dx == VB && dO == VB && (op == UnaryOp.RELU || op == UnaryOp.TANH)) {
            // contiguous runs: the dense loops (Note [Dense loops])
            if (op == UnaryOp.RELU) {
                denseRelu(xs, x, os, o, nv * L);
            } else {
                denseTanh(xs, x, os, o, nv * L);
            }
            return;
        }
        switch (op) {
            case NEG, SQRT, RSQRT, ABS, RELU, LEAKY_RELU, SQUARE, RECIPROCAL, SIGN, ABS_GRAD -> unaryCheap(op, alpha, xs, x, dx, os, o, dO, nv);
            case RELU_GRAD, LEAKY_RELU_GRAD, SIGMOID_GRAD_FROM_Y, TANH_GRAD_FROM_Y -> unaryCheapGrad(op, alpha, xs, x, dx, os, o, dO, nv);
            case EXP, LOG, SIN, COS, LOG1P, EXPM1 -> unaryMath(op, xs, x, dx, os, o, dO, nv);
            case TANH -> tanh(xs, x, dx, os, o, dO, nv); // its own unit: a long chain of vector operations
            case SIGMOID, ELU, SILU, GELU_TANH, SOFTPLUS -> unaryActivation(op, alpha, xs, x, dx, os, o, dO, nv);
            case ELU_GRAD, SILU_GRAD, GELU_TANH_GRAD, SOFTPLUS_GRAD -> unaryActivationGrad(op, alpha, xs, x, dx, os, o, dO, nv);
            case GELU_ERF, ERF, GELU_ERF_GRAD, POW_SCALAR -> unaryPerLane(op, alpha, xs, x, dx, os, o, dO, nv);
        }
    }

    private static void unaryCheap(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO,
            int nv) {
        final float a = (float) alpha;
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector minusOne = FloatVector.broadcast(S, -1f);
        switch (op) {
            case NEG -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.neg().intoMemorySegment(os, o, NATIVE);
                }
            }
            case SQRT -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.sqrt().intoMemorySegment(os, o, NATIVE);
                }
            }
            case RSQRT -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    one.div(v.sqrt()).intoMemorySegment(os, o, NATIVE);
                }
            }
            case ABS -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.abs().intoMemorySegment(os, o, NATIVE);
                }
            }
            case RELU -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.max(0f).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LEAKY_RELU -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.mul(a).blend(v, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SQUARE -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.mul(v).intoMemorySegment(os, o, NATIVE);
                }
            }
            case RECIPROCAL -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    one.div(v).intoMemorySegment(os, o, NATIVE);
                }
            }
            // signum: +-0 and NaN fail both comparisons and keep their own value
            case SIGN, ABS_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.blend(one, v.compare(VectorOperators.GT, 0f)).blend(minusOne, v.compare(VectorOperators.LT, 0f)).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    private static void unaryCheapGrad(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO,
            int nv) {
        final FloatVector zero = FloatVector.zero(S);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector va = FloatVector.broadcast(S, (float) alpha);
        switch (op) {
            case RELU_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LEAKY_RELU_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    va.blend(one, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SIGMOID_GRAD_FROM_Y -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.mul(one.sub(v)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case TANH_GRAD_FROM_Y -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
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
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.EXP).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LOG -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.LOG).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SIN -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.SIN).intoMemorySegment(os, o, NATIVE);
                }
            }
            case COS -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.COS).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LOG1P -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.LOG1P).intoMemorySegment(os, o, NATIVE);
                }
            }
            case EXPM1 -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.EXPM1).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    /**
     * a op b for + - * / over the whole vectors of n contiguous floats; returns how many elements it did.
     *
     * <p>Note [Dense loops]: the strided loops above advance long offsets by a variable step, so every vector
     * load and store keeps its bounds check. Here each operand is first sliced to exactly the bytes the loop
     * reads or writes ({@code asSlice}, which checks the range once), and the loop runs an int index times a
     * constant from offset 0 of those slices, which C2's range-check elimination hoists out of the loop. Each
     * op's loop has its own small method that makes its own slices: a method holding the four loops
     * compiled to a slower loop shape, and a slice handed from one compiled method to another would
     * escape and be allocated, where inside one method escape analysis removes it. On 64 floats, called
     * the way {@link SmallKernels} calls it, a multiply went from about 21 ns (offset loop with a variable
     * step) to 15 (int index from the operand's offset) to 8 (slices, one method per op) in isolation,
     * and the 1,000-op chain's thread CPU time per op dropped 7 %. {@code ElementwiseAllocationTest}
     * holds the loops to zero allocation. {@link SmallKernels} calls these for small tensors whose operands
     * all have out's layout.
     */
    static int denseArithmetic(BinaryOp op, MemorySegment as, long a, MemorySegment bs, long b, MemorySegment os, long o, int n) {
        final int end = n - n % L;
        switch (op) {
            case ADD -> denseAdd(as, a, bs, b, os, o, end);
            case SUB -> denseSub(as, a, bs, b, os, o, end);
            case MUL -> denseMul(as, a, bs, b, os, o, end);
            case DIV -> denseDiv(as, a, bs, b, os, o, end);
            default -> throw new IllegalStateException(op.name());
        }
        return end;
    }

    private static void denseAdd(MemorySegment as, long a, MemorySegment bs, long b, MemorySegment os, long o, int end) {
        final MemorySegment sa = as.asSlice(a, EB * end);
        final MemorySegment sb = bs.asSlice(b, EB * end);
        final MemorySegment so = os.asSlice(o, EB * end);
        for (int i = 0; i < end; i += L) {
            long k = EB * i;
            FloatVector.fromMemorySegment(S, sa, k, NATIVE).add(FloatVector.fromMemorySegment(S, sb, k, NATIVE)).intoMemorySegment(so, k, NATIVE);
        }
    }

    private static void denseSub(MemorySegment as, long a, MemorySegment bs, long b, MemorySegment os, long o, int end) {
        final MemorySegment sa = as.asSlice(a, EB * end);
        final MemorySegment sb = bs.asSlice(b, EB * end);
        final MemorySegment so = os.asSlice(o, EB * end);
        for (int i = 0; i < end; i += L) {
            long k = EB * i;
            FloatVector.fromMemorySegment(S, sa, k, NATIVE).sub(FloatVector.fromMemorySegment(S, sb, k, NATIVE)).intoMemorySegment(so, k, NATIVE);
        }
    }

    private static void denseMul(MemorySegment as, long a, MemorySegment bs, long b, MemorySegment os, long o, int end) {
        final MemorySegment sa = as.asSlice(a, EB * end);
        final MemorySegment sb = bs.asSlice(b, EB * end);
        final MemorySegment so = os.asSlice(o, EB * end);
        for (int i = 0; i < end; i += L) {
            long k = EB * i;
            FloatVector.fromMemorySegment(S, sa, k, NATIVE).mul(FloatVector.fromMemorySegment(S, sb, k, NATIVE)).intoMemorySegment(so, k, NATIVE);
        }
    }

    private static void denseDiv(MemorySegment as, long a, MemorySegment bs, long b, MemorySegment os, long o, int end) {
        final MemorySegment sa = as.asSlice(a, EB * end);
        final MemorySegment sb = bs.asSlice(b, EB * end);
        final MemorySegment so = os.asSlice(o, EB * end);
        for (int i = 0; i < end; i += L) {
            long k = EB * i;
            FloatVector.fromMemorySegment(S, sa, k, NATIVE).div(FloatVector.fromMemorySegment(S, sb, k, NATIVE)).intoMemorySegment(so, k, NATIVE);
        }
    }

    /** g * f'(y) for the gradient products over the whole vectors of n contiguous floats (Note [Dense loops]). */
    static int denseGrad(Fused op, MemorySegment gs, long g, MemorySegment ys, long y, MemorySegment os, long o, int n) {
        final int end = n - n % L;
        switch (op) {
            case TANH_GRAD -> denseTanhGrad(gs, g, ys, y, os, o, end);
            case SIGMOID_GRAD -> denseSigmoidGrad(gs, g, ys, y, os, o, end);
            case RELU_GRAD -> denseReluGrad(gs, g, ys, y, os, o, end);
            default -> throw new IllegalStateException(op.name());
        }
        return end;
    }

    private static void denseTanhGrad(MemorySegment gs, long g, MemorySegment ys, long y, MemorySegment os, long o, int end) {
        final MemorySegment sg = gs.asSlice(g, EB * end);
        final MemorySegment sy = ys.asSlice(y, EB * end);
        final MemorySegment so = os.asSlice(o, EB * end);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < end; i += L) {
            long k = EB * i;
            FloatVector v = FloatVector.fromMemorySegment(S, sg, k, NATIVE);
            FloatVector w = FloatVector.fromMemorySegment(S, sy, k, NATIVE);
            v.mul(one.sub(w.mul(w))).intoMemorySegment(so, k, NATIVE);
        }
    }

    private static void denseSigmoidGrad(MemorySegment gs, long g, MemorySegment ys, long y, MemorySegment os, long o, int end) {
        final MemorySegment sg = gs.asSlice(g, EB * end);
        final MemorySegment sy = ys.asSlice(y, EB * end);
        final MemorySegment so = os.asSlice(o, EB * end);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < end; i += L) {
            long k = EB * i;
            FloatVector v = FloatVector.fromMemorySegment(S, sg, k, NATIVE);
            FloatVector w = FloatVector.fromMemorySegment(S, sy, k, NATIVE);
            v.mul(w.mul(one.sub(w))).intoMemorySegment(so, k, NATIVE);
        }
    }

    private static void denseReluGrad(MemorySegment gs, long g, MemorySegment ys, long y, MemorySegment os, long o, int end) {
        final MemorySegment sg = gs.asSlice(g, EB * end);
        final MemorySegment sy = ys.asSlice(y, EB * end);
        final MemorySegment so = os.asSlice(o, EB * end);
        final FloatVector zero = FloatVector.zero(S);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < end; i += L) {
            long k = EB * i;
            FloatVector v = FloatVector.fromMemorySegment(S, sg, k, NATIVE);
            FloatVector w = FloatVector.fromMemorySegment(S, sy, k, NATIVE);
            v.mul(zero.blend(one, w.compare(VectorOperators.GT, 0f))).intoMemorySegment(so, k, NATIVE);
        }
    }

    /** Float tanh, lane by lane the operations of {@link Formulas#tanhF32} (Note [Float tanh]). */
    static void tanh(MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO, int nv) {
        final FloatVector a9 = FloatVector.broadcast(S, Formulas.TANH_A9);
        final FloatVector a7 = FloatVector.broadcast(S, Formulas.TANH_A7);
        final FloatVector a5 = FloatVector.broadcast(S, Formulas.TANH_A5);
        final FloatVector a3 = FloatVector.broadcast(S, Formulas.TANH_A3);
        final FloatVector a1 = FloatVector.broadcast(S, Formulas.TANH_A1);
        final FloatVector b2 = FloatVector.broadcast(S, Formulas.TANH_B2);
        final FloatVector b0 = FloatVector.broadcast(S, Formulas.TANH_B0);
        for (int k = 0; k < nv; k++, x += dx, o += dO) {
            FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
            FloatVector c = v.max(-Formulas.TANH_CLAMP).min(Formulas.TANH_CLAMP);
            FloatVector x2 = c.mul(c);
            FloatVector p = x2.fma(Formulas.TANH_A13, Formulas.TANH_A11);
            p = x2.fma(p, a9);
            p = x2.fma(p, a7);
            p = x2.fma(p, a5);
            p = x2.fma(p, a3);
            p = x2.fma(p, a1);
            FloatVector q = x2.fma(Formulas.TANH_B6, Formulas.TANH_B4);
            q = x2.fma(q, b2);
            q = x2.fma(q, b0);
            c.mul(p).div(q).blend(v, v.abs().compare(VectorOperators.LT, Formulas.TANH_TINY)).intoMemorySegment(os, o, NATIVE);
        }
    }

    /** max(x, 0) over the whole vectors of n contiguous floats (Note [Dense loops]); returns how many elements it did. */
    static int denseRelu(MemorySegment xs, long x, MemorySegment os, long o, int n) {
        final int end = n - n % L;
        final MemorySegment sx = xs.asSlice(x, EB * end);
        final MemorySegment so = os.asSlice(o, EB * end);
        for (int i = 0; i < end; i += L) {
            long k = EB * i;
            FloatVector.fromMemorySegment(S, sx, k, NATIVE).max(0f).intoMemorySegment(so, k, NATIVE);
        }
        return end;
    }

    /**
     * tanh over the whole vectors of n contiguous floats: the loop of {@link #tanh} in the dense shape (Note
     * [Dense loops]); returns how many elements it did.
     */
    static int denseTanh(MemorySegment xs, long x, MemorySegment os, long o, int n) {
        final int end = n - n % L;
        final MemorySegment sx = xs.asSlice(x, EB * end);
        final MemorySegment so = os.asSlice(o, EB * end);
        final FloatVector a9 = FloatVector.broadcast(S, Formulas.TANH_A9);
        final FloatVector a7 = FloatVector.broadcast(S, Formulas.TANH_A7);
        final FloatVector a5 = FloatVector.broadcast(S, Formulas.TANH_A5);
        final FloatVector a3 = FloatVector.broadcast(S, Formulas.TANH_A3);
        final FloatVector a1 = FloatVector.broadcast(S, Formulas.TANH_A1);
        final FloatVector b2 = FloatVector.broadcast(S, Formulas.TANH_B2);
        final FloatVector b0 = FloatVector.broadcast(S, Formulas.TANH_B0);
        for (int i = 0; i < end; i += L) {
            long k = EB * i;
            FloatVector v = FloatVector.fromMemorySegment(S, sx, k, NATIVE);
            FloatVector c = v.max(-Formulas.TANH_CLAMP).min(Formulas.TANH_CLAMP);
            FloatVector x2 = c.mul(c);
            FloatVector p = x2.fma(Formulas.TANH_A13, Formulas.TANH_A11);
            p = x2.fma(p, a9);
            p = x2.fma(p, a7);
            p = x2.fma(p, a5);
            p = x2.fma(p, a3);
            p = x2.fma(p, a1);
            FloatVector q = x2.fma(Formulas.TANH_B6, Formulas.TANH_B4);
            q = x2.fma(q, b2);
            q = x2.fma(q, b0);
            c.mul(p).div(q).blend(v, v.abs().compare(VectorOperators.LT, Formulas.TANH_TINY)).intoMemorySegment(so, k, NATIVE);
        }
        return end;
    }

    private static void unaryActivation(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO,
            int nv) {
        final float a = (float) alpha;
        final float k0 = (float) Formulas.SQRT_2_OVER_PI;
        final float c = (float) Formulas.GELU_C;
        final float threshold = (float) Formulas.SOFTPLUS_THRESHOLD;
        final FloatVector one = FloatVector.broadcast(S, 1f);
        switch (op) {
            // 1 / (1 + e^-x): 0, not NaN, where e^-x overflows
            case SIGMOID -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    one.div(one.add(v.neg().lanewise(VectorOperators.EXP))).intoMemorySegment(os, o, NATIVE);
                }
            }
            case ELU -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.EXPM1).mul(a).blend(v, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SILU -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.div(one.add(v.neg().lanewise(VectorOperators.EXP))).intoMemorySegment(os, o, NATIVE);
                }
            }
            case GELU_TANH -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    FloatVector u = v.mul(v).mul(v).mul(c).add(v).mul(k0);
                    v.mul(0.5f).mul(u.lanewise(VectorOperators.TANH).add(one)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SOFTPLUS -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    FloatVector bx = v.mul(a);
                    bx.lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P).div(a).blend(v, bx.compare(VectorOperators.GT, threshold)).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    private static void unaryActivationGrad(UnaryOp op, double alpha, MemorySegment xs, long x, long dx, MemorySegment os, long o, long dO,
            int nv) {
        final float a = (float) alpha;
        final float k0 = (float) Formulas.SQRT_2_OVER_PI;
        final float c = (float) Formulas.GELU_C;
        final float threshold = (float) Formulas.SOFTPLUS_THRESHOLD;
        final FloatVector one = FloatVector.broadcast(S, 1f);
        switch (op) {
            case ELU_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    v.lanewise(VectorOperators.EXP).mul(a).blend(one, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SILU_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    FloatVector s = one.div(one.add(v.neg().lanewise(VectorOperators.EXP)));
                    s.mul(v.mul(one.sub(s)).add(one)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case GELU_TANH_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    FloatVector x2 = v.mul(v);
                    FloatVector t = x2.mul(v).mul(c).add(v).mul(k0).lanewise(VectorOperators.TANH);
                    FloatVector du = x2.mul(3f * c).add(one).mul(k0);
                    t.add(one).mul(0.5f).add(v.mul(0.5f).mul(one.sub(t.mul(t))).mul(du)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SOFTPLUS_GRAD -> {
                for (int k = 0; k < nv; k++, x += dx, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, xs, x, NATIVE);
                    FloatVector bx = v.mul(a);
                    one.div(one.add(bx.neg().lanewise(VectorOperators.EXP))).blend(one, bx.compare(VectorOperators.GT, threshold)).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    /** Ops computed by a scalar double-precision call per lane (no vector erf or pow here). */
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
                    default -> throw new IllegalStateException(op.name());
                });
            }
        }
    }

    static void binary(BinaryOp op, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
            MemorySegment os, long o, long dO, int nv) {
        if (op.ordinal() <= BinaryOp.DIV.ordinal() && da == VB && db == VB && dO == VB) {
            denseArithmetic(op, as, a, bs, b, os, o, nv * L); // contiguous runs: the dense loops (Note [Dense loops])
            return;
        }
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
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.add(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SUB -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.sub(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case MUL -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.mul(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case DIV -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.div(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case MAXIMUM -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.max(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case MINIMUM -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.min(w).intoMemorySegment(os, o, NATIVE);
                }
            }
            case ATAN2 -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.lanewise(VectorOperators.ATAN2, w).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    private static void compare(BinaryOp op, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
            MemorySegment os, long o, long dO, int nv) {
        final FloatVector zero = FloatVector.zero(S);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        switch (op) {
            case GT -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.GT, w)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case GE -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.GE, w)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LT -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.LT, w)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case LE -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.LE, w)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case EQ -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.EQ, w)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case NE -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
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
            if (da == VB && db == VB && dO == VB) {
                denseGrad(op, as, a, bs, b, os, o, nv * L); // contiguous runs: the dense loops (Note [Dense loops])
            } else {
                gradProducts(op, as, a, da, bs, b, db, os, o, dO, nv); // a family of its own (Note [Vector code shape])
            }
            return;
        }
        final float pf = (float) p;
        final float qf = (float) q;
        final FloatVector zero = FloatVector.zero(S);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        switch (op) {
            case AFFINE -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    v.mul(pf).add(qf).intoMemorySegment(os, o, NATIVE);
                }
            }
            case CLAMP -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    v.max(pf).min(qf).intoMemorySegment(os, o, NATIVE);
                }
            }
            case CLAMP_MASK -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    zero.blend(one, v.compare(VectorOperators.GE, pf).and(v.compare(VectorOperators.LE, qf))).intoMemorySegment(os, o, NATIVE);
                }
            }
            case AXPY -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    w.add(v.mul(pf)).intoMemorySegment(os, o, NATIVE);
                }
            }
            case MUL_SCALED -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.mul(w).mul(pf).intoMemorySegment(os, o, NATIVE);
                }
            }
        }
    }

    /** The gradient products g * f'(y) of {@link Fused#TANH_GRAD}, {@link Fused#SIGMOID_GRAD} and {@link Fused#RELU_GRAD}. */
    private static void gradProducts(Fused op, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
            MemorySegment os, long o, long dO, int nv) {
        final FloatVector zero = FloatVector.zero(S);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        switch (op) {
            case TANH_GRAD -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.mul(one.sub(w.mul(w))).intoMemorySegment(os, o, NATIVE);
                }
            }
            case SIGMOID_GRAD -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.mul(w.mul(one.sub(w))).intoMemorySegment(os, o, NATIVE);
                }
            }
            case RELU_GRAD -> {
                for (int k = 0; k < nv; k++, a += da, b += db, o += dO) {
                    FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
                    FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
                    v.mul(zero.blend(one, w.compare(VectorOperators.GT, 0f))).intoMemorySegment(os, o, NATIVE);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    /** out = cond != 0 ? a : b, with cond already in f32. */
    static void where(MemorySegment cs, long c, long dc, MemorySegment as, long a, long da, MemorySegment bs, long b, long db,
            MemorySegment os, long o, long dO, int nv) {
        for (int k = 0; k < nv; k++, c += dc, a += da, b += db, o += dO) {
            FloatVector cond = FloatVector.fromMemorySegment(S, cs, c, NATIVE);
            FloatVector v = FloatVector.fromMemorySegment(S, as, a, NATIVE);
            FloatVector w = FloatVector.fromMemorySegment(S, bs, b, NATIVE);
            w.blend(v, cond.compare(VectorOperators.NE, 0f)).intoMemorySegment(os, o, NATIVE);
        }
    }

    /** True when none of the n contiguous elements at off is NaN or infinite (x * 0 is NaN exactly for those). */
    static boolean allFinite(MemorySegment s, long off, long n) {
        FloatVector acc = FloatVector.zero(S);
        long bytes = n * EB;
        long k = 0;
        for (; k + VB <= bytes; k += VB) {
            acc = acc.add(FloatVector.fromMemorySegment(S, s, off + k, NATIVE).mul(0f));
        }
        for (; k < bytes; k += EB) {
            if (!Float.isFinite(get(s, off + k))) {
                return false;
            }
        }
        return !Float.isNaN(acc.reduceLanes(VectorOperators.ADD));
    }
}
