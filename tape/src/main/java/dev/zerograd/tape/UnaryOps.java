package dev.zerograd.tape;

import dev.zerograd.kernels.Elementwise;
import dev.zerograd.kernels.UnaryOp;
import dev.zerograd.memory.Tensor;

/**
 * Elementwise functions {@code y = f(x; alpha)}. Each op's VJP is {@code g * f'(x)} and its JVP
 * {@code t * f'(x)}, so both come from one derivative formula, {@link #derivative}, written with ops so it
 * records in create-graph mode.
 *
 * <p>Note [Derivative ops]: where f' has no short expression in primitives (tanh, sigmoid, ELU, SiLU, GELU,
 * softplus), f' is itself an op ({@code tanh_backward}, ...) with a fused kernel, so first-order backward
 * costs one pass for f' and one for the product; its own VJP is {@code g * f''} written with primitives, so
 * derivatives of any order exist. Piecewise-constant derivatives (ReLU, leaky ReLU, abs) are masks computed
 * by a kernel and never recorded: their derivative is zero almost everywhere.
 *
 * <p>Note [Fused first-order gradients]: in a first-order backward (nothing records the rules' ops and no
 * tangent flows through them) the VJPs of tanh, sigmoid and relu compute g * f' in one kernel pass
 * ({@code Elementwise.tanhBackward}, {@code sigmoidBackward}, {@code reluBackward}) instead of a pass for f'
 * and one for the product: one result instead of two, half the memory traffic, and for a small tensor one
 * op's dispatch instead of two. With create-graph or forward-over-reverse the composed form above runs, so
 * the gradient stays differentiable.
 */
final class UnaryOps {
    private UnaryOps() {}

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double GELU_K = 0.044715;
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);

    /** One elementwise function; scalar 0 holds alpha. */
    static final class Fn extends Op {
        final UnaryOp kernel;

        Fn(String name, UnaryOp kernel) {
            super(name);
            this.kernel = kernel;
        }

        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor fused = fusedGradient(kernel, n, g);
            grads.add(0, fused != null ? fused : kernel == UnaryOp.NEG ? Ops.neg(g) : Ops.mul(g, derivative(kernel, n)));
        }

        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : kernel == UnaryOp.NEG ? Ops.neg(t) : Ops.mul(t, derivative(kernel, n));
        }
    }

    /** A derivative op (Note [Derivative ops]): y = f'(x); its rules use f''. */
    static final class Deriv extends Op {
        final UnaryOp kernel;

        Deriv(String name, UnaryOp kernel) {
            super(name);
            this.kernel = kernel;
        }

        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, Ops.mul(g, secondDerivative(kernel, n.input(0), n.scalar(0))));
        }

        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : Ops.mul(t, secondDerivative(kernel, n.input(0), n.scalar(0)));
        }
    }

    static final Fn NEG = new Fn("neg", UnaryOp.NEG);
    static final Fn EXP = new Fn("exp", UnaryOp.EXP);
    static final Fn LOG = new Fn("log", UnaryOp.LOG);
    static final Fn SQRT = new Fn("sqrt", UnaryOp.SQRT);
    static final Fn RSQRT = new Fn("rsqrt", UnaryOp.RSQRT);
    static final Fn ABS = new Fn("abs", UnaryOp.ABS);
    static final Fn SIN = new Fn("sin", UnaryOp.SIN);
    static final Fn COS = new Fn("cos", UnaryOp.COS);
    static final Fn TANH = new Fn("tanh", UnaryOp.TANH);
    static final Fn SIGMOID = new Fn("sigmoid", UnaryOp.SIGMOID);
    static final Fn RELU = new Fn("relu", UnaryOp.RELU);
    static final Fn LEAKY_RELU = new Fn("leaky_relu", UnaryOp.LEAKY_RELU);
    static final Fn ELU = new Fn("elu", UnaryOp.ELU);
    static final Fn SILU = new Fn("silu", UnaryOp.SILU);
    static final Fn GELU_TANH = new Fn("gelu_tanh", UnaryOp.GELU_TANH);
    static final Fn GELU = new Fn("gelu", UnaryOp.GELU_ERF);
    static final Fn SOFTPLUS = new Fn("softplus", UnaryOp.SOFTPLUS);
    static final Fn POW_SCALAR = new Fn("pow_scalar", UnaryOp.POW_SCALAR);
    static final Fn SQUARE = new Fn("square", UnaryOp.SQUARE);
    static final Fn RECIPROCAL = new Fn("reciprocal", UnaryOp.RECIPROCAL);
    static final Fn LOG1P = new Fn("log1p", UnaryOp.LOG1P);
    static final Fn EXPM1 = new Fn("expm1", UnaryOp.EXPM1);
    static final Fn ERF = new Fn("erf", UnaryOp.ERF);

    static final Deriv TANH_BACKWARD = new Deriv("tanh_backward", UnaryOp.TANH_GRAD_FROM_Y);
    static final Deriv SIGMOID_BACKWARD = new Deriv("sigmoid_backward", UnaryOp.SIGMOID_GRAD_FROM_Y);
    static final Deriv ELU_BACKWARD = new Deriv("elu_backward", UnaryOp.ELU_GRAD);
    static final Deriv SILU_BACKWARD = new Deriv("silu_backward", UnaryOp.SILU_GRAD);
    static final Deriv GELU_TANH_BACKWARD = new Deriv("gelu_tanh_backward", UnaryOp.GELU_TANH_GRAD);
    static final Deriv GELU_BACKWARD = new Deriv("gelu_backward", UnaryOp.GELU_ERF_GRAD);
    static final Deriv SOFTPLUS_BACKWARD = new Deriv("softplus_backward", UnaryOp.SOFTPLUS_GRAD);

    // ---------------------------------------------------------------- forward

    /** y = f(x; alpha), recorded as {@code op}. */
    static Tensor apply(Op op, UnaryOp kernel, Tensor x, double alpha) {
        Context c = Context.get();
        Checks.floating(op.name(), x);
        Tensor out = c.resultLike(x);
        Elementwise.unary(kernel, x, alpha, out);
        if (c.tracks(x)) {
            c.record(op, x, null, alpha, out);
        }
        return out;
    }

    static Tensor apply(Fn op, Tensor x, double alpha) {
        return apply(op, op.kernel, x, alpha);
    }

    static Tensor apply(Deriv op, Tensor x, double alpha) {
        return apply(op, op.kernel, x, alpha);
    }

    /** A piecewise-constant mask kernel(x); never recorded (Note [Derivative ops]). */
    static Tensor mask(UnaryOp kernel, Tensor x, double alpha) {
        Tensor out = Context.get().resultLike(x);
        Elementwise.unary(kernel, x, alpha, out);
        return out;
    }

    // ---------------------------------------------------------------- derivatives

    /**
     * g * f'(x) in one kernel pass for tanh, sigmoid and relu, when nothing tracks it (Note [Fused first-order
     * gradients]); null otherwise, and the caller composes the product from {@link #derivative}.
     */
    static Tensor fusedGradient(UnaryOp k, Node n, Tensor g) {
        if (k != UnaryOp.TANH && k != UnaryOp.SIGMOID && k != UnaryOp.RELU) {
            return null;
        }
        Tensor v = k == UnaryOp.RELU ? n.input(0) : n.result();
        Context c = Context.get();
        if (c.tracks(g, v) || g.dtype() != v.dtype()) {
            return null;
        }
        Tensor out = c.resultLike(v);
        switch (k) {
            case TANH -> Elementwise.tanhBackward(g, v, out);
            case SIGMOID -> Elementwise.sigmoidBackward(g, v, out);
            default -> Elementwise.reluBackward(g, v, out);
        }
        return out;
    }

    /** f'(x) for the function {@code k}, in terms of ops on the node's input x, result y and alpha. */
    static Tensor derivative(UnaryOp k, Node n) {
        Tensor x = n.input(0);
        Tensor y = n.result();
        double a = n.scalar(0);
        return switch (k) {
            case EXP -> y;
            case LOG -> Ops.reciprocal(x);
            case SQRT -> Ops.mul(Ops.reciprocal(y), 0.5);                  // 1 / (2 sqrt x)
            case RSQRT -> Ops.mul(Ops.div(y, x), -0.5);                    // -x^(-3/2) / 2
            case ABS -> mask(UnaryOp.ABS_GRAD, x, 0);                       // sign(x), 0 at 0
            case SIN -> Ops.cos(x);
            case COS -> Ops.neg(Ops.sin(x));
            case TANH -> apply(TANH_BACKWARD, y, 0);                        // 1 - y^2
            case SIGMOID -> apply(SIGMOID_BACKWARD, y, 0);                  // y (1 - y)
            case RELU -> mask(UnaryOp.RELU_GRAD, x, 0);
            case LEAKY_RELU -> mask(UnaryOp.LEAKY_RELU_GRAD, x, a);
            case ELU -> apply(ELU_BACKWARD, x, a);
            case SILU -> apply(SILU_BACKWARD, x, 0);
            case GELU_TANH -> apply(GELU_TANH_BACKWARD, x, 0);
            case GELU_ERF -> apply(GELU_BACKWARD, x, 0);
            case SOFTPLUS -> apply(SOFTPLUS_BACKWARD, x, a);                // sigmoid(beta x)
            case POW_SCALAR -> a == 0 ? Ops.zerosLike(x) : Ops.mul(Ops.pow(x, a - 1), a);
            case SQUARE -> Ops.mul(x, 2.0);
            case RECIPROCAL -> Ops.neg(Ops.square(y));                      // -1 / x^2
            case LOG1P -> Ops.reciprocal(Ops.add(x, 1.0));
            case EXPM1 -> Ops.add(y, 1.0);
            case ERF -> Ops.mul(Ops.exp(Ops.mul(Ops.square(x), -1.0)), TWO_OVER_SQRT_PI);
            default -> throw new IllegalStateException("no derivative formula for elementwise function " + k);
        };
    }

    /** The derivative of the derivative op {@code k} at its input {@code v}, written with primitives. */
    static Tensor secondDerivative(UnaryOp k, Tensor v, double a) {
        return switch (k) {
            // input is y = tanh(x): d/dy (1 - y^2) = -2y
            case TANH_GRAD_FROM_Y -> Ops.mul(v, -2.0);
            // input is y = sigmoid(x): d/dy (y - y^2) = 1 - 2y
            case SIGMOID_GRAD_FROM_Y -> Ops.add(Ops.mul(v, -2.0), 1.0);
            // elu'(x) = 1 for x > 0, alpha e^x otherwise; elu'' = elu' - [x > 0]
            case ELU_GRAD -> Ops.sub(apply(ELU_BACKWARD, v, a), mask(UnaryOp.RELU_GRAD, v, 0));
            // silu'' = s (1 - s) (2 + x (1 - 2 s)), s = sigmoid(x)
            case SILU_GRAD -> {
                Tensor s = Ops.sigmoid(v);
                yield Ops.mul(apply(SIGMOID_BACKWARD, s, 0), Ops.add(Ops.mul(v, Ops.add(Ops.mul(s, -2.0), 1.0)), 2.0));
            }
            // gelu''(x) = phi(x) (2 - x^2), phi the standard normal density
            case GELU_ERF_GRAD -> {
                Tensor x2 = Ops.square(v);
                yield Ops.mul(Ops.mul(Ops.exp(Ops.mul(x2, -0.5)), INV_SQRT_2PI), Ops.add(Ops.neg(x2), 2.0));
            }
            // tanh-approximate GELU: u = c (x + k x^3), t = tanh(u), s = 1 - t^2:
            // gelu'' = s (u' - x t u'^2 + x u'' / 2), u' = c (1 + 3 k x^2), u'' = 6 c k x
            case GELU_TANH_GRAD -> {
                Tensor x2 = Ops.square(v);
                Tensor u = Ops.mul(Ops.add(v, Ops.mul(Ops.mul(x2, v), GELU_K)), SQRT_2_OVER_PI);
                Tensor t = Ops.tanh(u);
                Tensor du = Ops.add(Ops.mul(x2, 3 * GELU_K * SQRT_2_OVER_PI), SQRT_2_OVER_PI);
                Tensor d2u = Ops.mul(v, 6 * GELU_K * SQRT_2_OVER_PI);
                Tensor inner = Ops.add(Ops.sub(du, Ops.mul(Ops.mul(v, t), Ops.square(du))), Ops.mul(Ops.mul(v, d2u), 0.5));
                yield Ops.mul(apply(TANH_BACKWARD, t, 0), inner);
            }
            // softplus'(x) = sigmoid(beta x); softplus'' = beta s (1 - s)
            case SOFTPLUS_GRAD -> Ops.mul(apply(SIGMOID_BACKWARD, Ops.sigmoid(Ops.mul(v, a)), 0), a);
            default -> throw new IllegalStateException("no second-derivative formula for " + k);
        };
    }
}
