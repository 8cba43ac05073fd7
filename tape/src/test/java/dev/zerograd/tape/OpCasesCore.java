package dev.zerograd.tape;

import static dev.zerograd.tape.OpCases.add;
import static dev.zerograd.tape.OpCases.binary;
import static dev.zerograd.tape.OpCases.constant;
import static dev.zerograd.tape.OpCases.lattice;
import static dev.zerograd.tape.OpCases.unary;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.OpCases.Range;

/**
 * Gradcheck cases of the core families: ArithOps, UnaryOps (with the derivative ops of Note [Derivative
 * ops]), sum, ShapeOps, MatMulOps and custom ops. Domains follow Note [Domains] in {@link OpCases}.
 */
final class OpCasesCore {
    private OpCasesCore() {}

    private static final Range ANY = Range.between(-2, 2);
    private static final Range WIDE = Range.between(-3, 3);
    private static final Range POSITIVE = Range.between(0.5, 2.5);
    private static final Range NONZERO = Range.between(-2, 2).avoiding(0.1, 0);

    static void register() {
        arith();
        unaryFunctions();
        derivativeOps();
        reductions();
        shapes();
        matmul();
        custom();
    }

    // ---------------------------------------------------------------- ArithOps

    private static void arith() {
        binary("add", in -> Ops.add(in[0], in[1]), ANY, ANY);
        add("add", "x + x (one tensor on both sides)", in -> Ops.add(in[0], in[0]), ANY.of(2, 3));
        binary("sub", in -> Ops.sub(in[0], in[1]), ANY, ANY);
        add("sub", "x - x", in -> Ops.sub(in[0], in[0]), ANY.of(3));
        binary("mul", in -> Ops.mul(in[0], in[1]), ANY, ANY);
        add("mul", "x * x", in -> Ops.mul(in[0], in[0]), ANY.of(2, 3));
        binary("div", in -> Ops.div(in[0], in[1]), ANY, Range.between(-2, 2).avoiding(0.5, 0));
        add("div", "x / x", in -> Ops.div(in[0], in[0]), POSITIVE.of(3));

        binary("pow", in -> Ops.pow(in[0], in[1]), POSITIVE, Range.between(-1.5, 1.5));
        add("pow", "negative base, constant exponent 3", in -> Ops.pow(in[0], in[1]),
                ANY.of(2, 3), constant(new double[] {3}, 1));
        add("pow", "x ^ x", in -> Ops.pow(in[0], in[0]), POSITIVE.of(2, 2));

        for (String op : new String[] {"maximum", "minimum"}) {
            GradCheck.Fn fn = op.equals("maximum") ? in -> Ops.maximum(in[0], in[1]) : in -> Ops.minimum(in[0], in[1]);
            add(op, "[2,3] with [2,3]", fn, lattice(0, 2, 3), lattice(0.25, 2, 3));
            add(op, "[3,1] with [1,4]", fn, lattice(0, 3, 1), lattice(0.25, 1, 4));
            add(op, "[2,3] with [3]", fn, lattice(0.25, 2, 3), lattice(0, 3));
            add(op, "[] with [2,3]", fn, lattice(0, new long[0]), lattice(0.25, 2, 3));
            add(op, "[] with []", fn, lattice(0.25, new long[0]), lattice(0, new long[0]));
            // a tie splits the gradient evenly, so the derivative of op(x, x) = x is 1/2 + 1/2
            add(op, "x with x (every element a tie)", in -> op.equals("maximum") ? Ops.maximum(in[0], in[0]) : Ops.minimum(in[0], in[0]),
                    ANY.of(2, 3));
        }

        add("affine", "2.5 x - 1 on [2,3]", in -> Ops.affine(in[0], 2.5, -1), ANY.of(2, 3));
        add("affine", "on []", in -> Ops.affine(in[0], -0.5, 3), ANY.of());
        add("affine", "on transposed [3,2]", in -> Ops.affine(in[0], 3, 0.25), ANY.transposed(3, 2));
        add("affine", "x + 3", in -> Ops.add(in[0], 3.0), ANY.of(4));
        add("affine", "1 - x", in -> Ops.rsub(1.0, in[0]), ANY.of(4));
        add("affine", "x / 4", in -> Ops.div(in[0], 4.0), ANY.sliced(2, 2));

        double[] pattern = {1, 0, 0, 1, 1, 0};
        add("where", "cond [2,3], a [2,3], b [2,3]", in -> Ops.where(in[0], in[1], in[2]),
                constant(pattern, 2, 3), ANY.of(2, 3), ANY.of(2, 3));
        add("where", "cond [3,1], a [1,4], b []", in -> Ops.where(in[0], in[1], in[2]),
                constant(new double[] {0, 1, 1}, 3, 1), ANY.of(1, 4), ANY.of());
        add("where", "cond computed from the inputs: where(a > b, a, b)", in -> Ops.where(Ops.gt(in[0], in[1]), in[0], in[1]),
                lattice(0, 2, 3), lattice(0.25, 2, 3));
        add("where", "a and b one tensor", in -> Ops.where(in[0], in[1], in[1]), constant(pattern, 2, 3), ANY.of(2, 3));
        add("where", "transposed a", in -> Ops.where(in[0], in[1], in[2]),
                constant(pattern, 3, 2), ANY.transposed(3, 2), ANY.of(2));

        Range aroundBounds = Range.between(-1.5, 1.5).avoiding(0.1, -0.5, 0.8);
        add("clamp", "[-0.5, 0.8] on [3,4]", in -> Ops.clamp(in[0], -0.5, 0.8), aroundBounds.of(3, 4));
        add("clamp", "[] inside", in -> Ops.clamp(in[0], -0.5, 0.8), Range.between(-0.3, 0.6).of());
        add("clamp", "[] outside", in -> Ops.clamp(in[0], -0.5, 0.8), Range.between(1, 2).of());
        add("clamp", "transposed [3,2]", in -> Ops.clamp(in[0], -0.5, 0.8), aroundBounds.transposed(3, 2));
    }

    // ---------------------------------------------------------------- UnaryOps

    private static void unaryFunctions() {
        unary("neg", in -> Ops.neg(in[0]), ANY);
        unary("exp", in -> Ops.exp(in[0]), ANY);
        unary("log", in -> Ops.log(in[0]), POSITIVE);
        unary("sqrt", in -> Ops.sqrt(in[0]), POSITIVE);
        unary("rsqrt", in -> Ops.rsqrt(in[0]), POSITIVE);
        unary("abs", in -> Ops.abs(in[0]), NONZERO);
        unary("sin", in -> Ops.sin(in[0]), WIDE);
        unary("cos", in -> Ops.cos(in[0]), WIDE);
        unary("tanh", in -> Ops.tanh(in[0]), ANY);
        unary("sigmoid", in -> Ops.sigmoid(in[0]), WIDE);
        unary("relu", in -> Ops.relu(in[0]), NONZERO);
        unary("leaky_relu", in -> Ops.leakyRelu(in[0], 0.1), NONZERO);
        add("leaky_relu", "default slope 0.01", in -> Ops.leakyRelu(in[0]), NONZERO.of(3, 3));
        unary("elu", in -> Ops.elu(in[0]), NONZERO);
        add("elu", "alpha 0.5", in -> Ops.elu(in[0], 0.5), NONZERO.of(3, 3));
        unary("silu", in -> Ops.silu(in[0]), WIDE);
        unary("gelu_tanh", in -> Ops.geluTanh(in[0]), WIDE);
        unary("gelu", in -> Ops.gelu(in[0]), WIDE);
        unary("softplus", in -> Ops.softplus(in[0]), WIDE);
        add("softplus", "beta 2", in -> Ops.softplus(in[0], 2), WIDE.of(3, 3));
        add("softplus", "beta 2, linear region (beta x > 20)", in -> Ops.softplus(in[0], 2), Range.between(10.5, 12).of(2, 2));
        unary("pow_scalar", in -> Ops.pow(in[0], 2.5), POSITIVE);
        add("pow_scalar", "x^3 with negative x", in -> Ops.pow(in[0], 3.0), ANY.of(2, 3));
        add("pow_scalar", "x^-1.5", in -> Ops.pow(in[0], -1.5), POSITIVE.of(2, 3));
        add("pow_scalar", "x^1", in -> Ops.pow(in[0], 1.0), ANY.of(3));
        add("pow_scalar", "x^0", in -> Ops.pow(in[0], 0.0), ANY.of(3));
        unary("square", in -> Ops.square(in[0]), ANY);
        unary("reciprocal", in -> Ops.reciprocal(in[0]), POSITIVE);
        add("reciprocal", "negative x", in -> Ops.reciprocal(in[0]), Range.between(-2.5, -0.5).of(2, 3));
        unary("log1p", in -> Ops.log1p(in[0]), Range.between(-0.5, 2));
        unary("expm1", in -> Ops.expm1(in[0]), ANY);
        unary("erf", in -> Ops.erf(in[0]), ANY);
    }

    /** The derivative ops of Note [Derivative ops], called directly; their own rules hold f''. */
    private static void derivativeOps() {
        unary("tanh_backward", in -> UnaryOps.apply(UnaryOps.TANH_BACKWARD, in[0], 0), Range.between(-0.95, 0.95));
        unary("sigmoid_backward", in -> UnaryOps.apply(UnaryOps.SIGMOID_BACKWARD, in[0], 0), Range.between(0.02, 0.98));
        unary("elu_backward", in -> UnaryOps.apply(UnaryOps.ELU_BACKWARD, in[0], 1.0), NONZERO);
        add("elu_backward", "alpha 0.5", in -> UnaryOps.apply(UnaryOps.ELU_BACKWARD, in[0], 0.5), NONZERO.of(3, 3));
        unary("silu_backward", in -> UnaryOps.apply(UnaryOps.SILU_BACKWARD, in[0], 0), WIDE);
        unary("gelu_tanh_backward", in -> UnaryOps.apply(UnaryOps.GELU_TANH_BACKWARD, in[0], 0), WIDE);
        unary("gelu_backward", in -> UnaryOps.apply(UnaryOps.GELU_BACKWARD, in[0], 0), WIDE);
        unary("softplus_backward", in -> UnaryOps.apply(UnaryOps.SOFTPLUS_BACKWARD, in[0], 1.0), WIDE);
        add("softplus_backward", "beta 2", in -> UnaryOps.apply(UnaryOps.SOFTPLUS_BACKWARD, in[0], 2.0), WIDE.of(3, 3));
    }

    // ---------------------------------------------------------------- sum (and mean, a composite of it)

    private static void reductions() {
        add("sum", "all of [2,3]", in -> Ops.sum(in[0]), ANY.of(2, 3));
        add("sum", "dim 1 of [2,3]", in -> Ops.sum(in[0], 1, false), ANY.of(2, 3));
        add("sum", "dim 0 of [2,3], keepdim", in -> Ops.sum(in[0], 0, true), ANY.of(2, 3));
        add("sum", "dim -1 of [2,3,2]", in -> Ops.sum(in[0], -1, false), ANY.of(2, 3, 2));
        add("sum", "dims {0,2} of [2,3,2]", in -> Ops.sum(in[0], new int[] {0, 2}, false), ANY.of(2, 3, 2));
        add("sum", "dims {0,2} of [2,3,2], keepdim", in -> Ops.sum(in[0], new int[] {0, 2}, true), ANY.of(2, 3, 2));
        add("sum", "all of []", in -> Ops.sum(in[0]), ANY.of());
        add("sum", "dim 0 of transposed [3,2]", in -> Ops.sum(in[0], 0, false), ANY.transposed(3, 2));
        add("sum", "dim 1 of sliced [3,2]", in -> Ops.sum(in[0], 1, true), ANY.sliced(3, 2));
        add("sum", "mean of [2,3]", in -> Ops.mean(in[0]), ANY.of(2, 3));
        add("sum", "mean over dim 0 of [3,2], keepdim", in -> Ops.mean(in[0], 0, true), ANY.of(3, 2));
        add("sum", "sum of squares (the gradient depends on x)", in -> Ops.sum(Ops.square(in[0]), 1, false), ANY.of(2, 3));
    }

    // ---------------------------------------------------------------- ShapeOps

    private static void shapes() {
        add("broadcast_to", "[3,1] to [3,4]", in -> Ops.expand(in[0], 3, 4), ANY.of(3, 1));
        add("broadcast_to", "[4] to [2,3,4]", in -> Ops.expand(in[0], 2, 3, 4), ANY.of(4));
        add("broadcast_to", "[] to [2,3]", in -> Ops.expand(in[0], 2, 3), ANY.of());
        add("broadcast_to", "transposed [3,1] to [3,2]", in -> Ops.expand(in[0], 3, 2), ANY.transposed(3, 1));
        add("broadcast_to", "like another tensor", in -> Ops.broadcastTo(in[0], in[1]), ANY.of(1, 3), ANY.constant(2, 3));
        add("broadcast_to", "then squared (the gradient depends on x)", in -> Ops.square(Ops.expand(in[0], 2, 3)), ANY.of(3));

        add("sum_to", "[3,4] to [1,4]", in -> Ops.sumTo(in[0], in[1]), ANY.of(3, 4), ANY.constant(1, 4));
        add("sum_to", "[2,3,4] to [4]", in -> Ops.sumTo(in[0], in[1]), ANY.of(2, 3, 4), ANY.constant(4));
        add("sum_to", "[2,3] to []", in -> Ops.sumTo(in[0], in[1]), ANY.of(2, 3), ANY.constant());
        add("sum_to", "[3,4] to [3,1]", in -> Ops.sumTo(in[0], in[1]), ANY.of(3, 4), ANY.constant(3, 1));
        add("sum_to", "transposed [3,2] to [1,2]", in -> Ops.sumTo(in[0], in[1]), ANY.transposed(3, 2), ANY.constant(1, 2));
        add("sum_to", "of a square", in -> Ops.sumTo(Ops.square(in[0]), in[1]), ANY.of(3, 2), ANY.constant(2));

        add("reshape", "[2,3] to [6]", in -> Ops.reshape(in[0], 6), ANY.of(2, 3));
        add("reshape", "[2,3] to [3,-1]", in -> Ops.reshape(in[0], 3, -1), ANY.of(2, 3));
        add("reshape", "[1,1] to []", in -> Ops.reshape(in[0]), ANY.of(1, 1));
        add("reshape", "[] to [1,1,1]", in -> Ops.reshape(in[0], 1, 1, 1), ANY.of());
        add("reshape", "transposed [3,2] to [6] (copies first)", in -> Ops.reshape(in[0], 6), ANY.transposed(3, 2));
        add("reshape", "view of a product", in -> Ops.view(Ops.mul(in[0], in[0]), 2, 2), ANY.of(4));

        add("copy", "[2,3]", in -> Ops.copy(in[0]), ANY.of(2, 3));
        add("copy", "[]", in -> Ops.copy(in[0]), ANY.of());
        add("copy", "contiguous() of a transposed [3,2]", in -> Ops.contiguous(in[0]), ANY.transposed(3, 2));
        add("copy", "contiguous() of a sliced [2,3]", in -> Ops.contiguous(in[0]), ANY.sliced(2, 3));
        add("copy", "of a product", in -> Ops.copy(Ops.mul(in[0], in[1])), ANY.of(3), ANY.of(3));
    }

    // ---------------------------------------------------------------- MatMulOps

    private static void matmul() {
        add("matmul", "[2,3] @ [3,4]", in -> Ops.matmul(in[0], in[1]), ANY.of(2, 3), ANY.of(3, 4));
        add("matmul", "[3,2]^T @ [3,4]", in -> Ops.matmul(in[0], true, in[1], false), ANY.of(3, 2), ANY.of(3, 4));
        add("matmul", "[2,3] @ [4,3]^T", in -> Ops.matmul(in[0], false, in[1], true), ANY.of(2, 3), ANY.of(4, 3));
        add("matmul", "[3,2]^T @ [4,3]^T", in -> Ops.matmul(in[0], true, in[1], true), ANY.of(3, 2), ANY.of(4, 3));
        add("matmul", "batched [2,2,3] @ [2,3,2]", in -> Ops.matmul(in[0], in[1]), ANY.of(2, 2, 3), ANY.of(2, 3, 2));
        add("matmul", "broadcast batch [2,2,3] @ [3,2]", in -> Ops.matmul(in[0], in[1]), ANY.of(2, 2, 3), ANY.of(3, 2));
        add("matmul", "broadcast batch [2,1,2,3] @ [3,3,2]", in -> Ops.matmul(in[0], in[1]), ANY.of(2, 1, 2, 3), ANY.of(3, 3, 2));
        add("matmul", "batched with flags [2,3,2]^T @ [2,4,3]^T", in -> Ops.matmul(in[0], true, in[1], true),
                ANY.of(2, 3, 2), ANY.of(2, 4, 3));
        add("matmul", "vector [3] @ [3,4]", in -> Ops.matmul(in[0], in[1]), ANY.of(3), ANY.of(3, 4));
        add("matmul", "[2,3] @ vector [3]", in -> Ops.matmul(in[0], in[1]), ANY.of(2, 3), ANY.of(3));
        add("matmul", "vector [3] @ vector [3]", in -> Ops.matmul(in[0], in[1]), ANY.of(3), ANY.of(3));
        add("matmul", "transposed view [3,2] @ [2,4]", in -> Ops.matmul(in[0], in[1]), ANY.transposed(3, 2), ANY.of(2, 4));
        add("matmul", "sliced view [2,3] @ sliced view [3,2]", in -> Ops.matmul(in[0], in[1]), ANY.sliced(2, 3), ANY.sliced(3, 2));
        add("matmul", "x^T x (one tensor on both sides)", in -> Ops.matmul(in[0], true, in[0], false), ANY.of(3, 2));
        add("matmul", "of a nonlinearity (the gradient depends on both)", in -> Ops.tanh(Ops.matmul(in[0], in[1])),
                ANY.of(2, 3), ANY.of(3, 2));
    }

    // ---------------------------------------------------------------- custom

    /** f(a, b) = a^2 b with its rules written in ops, so it has derivatives of every order. */
    static final class SquareTimes extends CustomOp {
        SquareTimes() {
            super("square_times");
        }

        @Override
        protected Tensor forward(Tensor[] in, int n) {
            return Ops.mul(Ops.square(in[0]), in[1]);
        }

        @Override
        protected void backward(Node n, Tensor g, Grads grads) {
            Tensor a = n.input(0);
            Tensor b = n.input(1);
            if (n.needsGrad(0)) {
                grads.addReduced(0, Ops.mul(g, Ops.mul(Ops.mul(a, b), 2.0)));
            }
            if (n.needsGrad(1)) {
                grads.addReduced(1, Ops.mul(g, Ops.square(a)));
            }
        }

        @Override
        protected Tensor jvp(Node n) {
            Tensor a = n.input(0);
            Tensor b = n.input(1);
            Tensor ta = n.tangent(0);
            Tensor tb = n.tangent(1);
            Tensor r = null;
            if (ta != null) {
                r = Ops.mul(ta, Ops.mul(Ops.mul(a, b), 2.0));
            }
            if (tb != null) {
                Tensor t = Ops.mul(tb, Ops.square(a));
                r = r == null ? t : Ops.add(r, t);
            }
            return r == null ? null : ArithOps.toResult(r, n);
        }
    }

    /** f(x) = sin(x) with cos(x) saved in forward and used by both rules. */
    static final class SavedSin extends CustomOp {
        SavedSin() {
            super("saved_sin");
        }

        @Override
        protected Tensor forward(Tensor[] in, int n) {
            save(in[0]);
            return Ops.sin(in[0]);
        }

        @Override
        protected void backward(Node n, Tensor g, Grads grads) {
            grads.add(0, Ops.mul(g, Ops.cos(n.saved(0))));
        }

        @Override
        protected Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : Ops.mul(t, Ops.cos(n.input(0)));
        }
    }

    private static void custom() {
        SquareTimes sq = new SquareTimes();
        add("custom", "a^2 b on [2,3]", in -> sq.apply(in[0], in[1]), ANY.of(2, 3), ANY.of(2, 3));
        add("custom", "a^2 b, [3,1] with [1,4]", in -> sq.apply(in[0], in[1]), ANY.of(3, 1), ANY.of(1, 4));
        add("custom", "a^2 b on [] and transposed [3,2]", in -> sq.apply(in[0], in[1]), ANY.of(), ANY.transposed(3, 2));
        add("custom", "a^2 b inside a composite", in -> Ops.tanh(sq.apply(Ops.exp(in[0]), in[1])), ANY.of(3), ANY.of(3));
        SavedSin sin = new SavedSin();
        add("custom", "sin with a saved input", in -> sin.apply(in[0]), WIDE.of(2, 3));
    }
}
