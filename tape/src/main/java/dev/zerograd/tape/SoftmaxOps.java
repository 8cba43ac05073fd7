package dev.zerograd.tape;

import dev.zerograd.kernels.Softmax;
import dev.zerograd.memory.Tensor;

/**
 * Softmax and log-softmax along one dim, with fused kernels both ways.
 *
 * <p>Note [Softmax backward ops]: the VJPs are the fused kernels {@code softmax_backward(g, y)} =
 * {@code y * (g - sum(g y))} and {@code log_softmax_backward(g, y)} = {@code g - exp(y) sum(g)}, made ops
 * of their own (as the derivative ops of {@link UnaryOps}), so first-order backward is one fused pass and
 * the backward ops' rules, written with primitives, give derivatives of any order. y is the recorded result
 * of the forward op, so in create-graph mode its dependence on x is on the tape. softmax_backward is linear
 * and self-adjoint in g ({@code J = diag(y) - y y^T} is symmetric), so it is also softmax's JVP.
 */
final class SoftmaxOps {
    private SoftmaxOps() {}

    /** Attribute 0 = dim (normalised). */
    static final Op SOFTMAX = new Op("softmax") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, softmaxBackward(g, n.result(), n.iattr(0)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : softmaxBackward(t, n.result(), n.iattr(0)); // y (t - sum(t y))
        }
    };

    /** Attribute 0 = dim. */
    static final Op LOG_SOFTMAX = new Op("log_softmax") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, logSoftmaxBackward(g, n.result(), n.iattr(0)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            if (t == null) {
                return null;
            }
            int d = n.iattr(0);
            return Ops.sub(t, Ops.sum(Ops.mul(Ops.exp(n.result()), t), d, true)); // t - sum(softmax t)
        }
    };

    /**
     * out = y (g - s), s = sum_d(g y). Inputs: g, y. With h the incoming gradient:
     * dg = y (h - sum_d(h y)) (the same map), dy = h (g - s) - g sum_d(h y).
     */
    static final Op SOFTMAX_BACKWARD = new Op("softmax_backward") {
        @Override public void vjp(Node n, Tensor h, Grads grads) {
            Tensor g = n.input(0);
            Tensor y = n.input(1);
            int d = n.iattr(0);
            if (n.needsGrad(0)) {
                grads.add(0, softmaxBackward(h, y, d));
            }
            if (n.needsGrad(1)) {
                Tensor s = Ops.sum(Ops.mul(g, y), d, true);
                Tensor hy = Ops.sum(Ops.mul(h, y), d, true);
                grads.add(1, Ops.sub(Ops.mul(h, Ops.sub(g, s)), Ops.mul(g, hy)));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor g = n.input(0);
            Tensor y = n.input(1);
            int d = n.iattr(0);
            Tensor tg = n.tangent(0);
            Tensor ty = n.tangent(1);
            Tensor a = tg == null ? null : softmaxBackward(tg, y, d);
            Tensor b = null;
            if (ty != null) {
                Tensor s = Ops.sum(Ops.mul(g, y), d, true);
                b = Ops.sub(Ops.mul(ty, Ops.sub(g, s)), Ops.mul(y, Ops.sum(Ops.mul(g, ty), d, true)));
            }
            return ArithOps.plus(a, b);
        }
    };

    /**
     * out = g - p S, p = exp(y), S = sum_d(g). Inputs: g, y. With h the incoming gradient:
     * dg = h - sum_d(h p), dy = -h p S.
     */
    static final Op LOG_SOFTMAX_BACKWARD = new Op("log_softmax_backward") {
        @Override public void vjp(Node n, Tensor h, Grads grads) {
            Tensor g = n.input(0);
            int d = n.iattr(0);
            Tensor p = Ops.exp(n.input(1));
            if (n.needsGrad(0)) {
                grads.add(0, Ops.sub(h, Ops.sum(Ops.mul(h, p), d, true)));
            }
            if (n.needsGrad(1)) {
                grads.add(1, Ops.neg(Ops.mul(Ops.mul(h, p), Ops.sum(g, d, true))));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor g = n.input(0);
            int d = n.iattr(0);
            Tensor tg = n.tangent(0);
            Tensor ty = n.tangent(1);
            Tensor p = Ops.exp(n.input(1));
            Tensor a = tg == null ? null : Ops.sub(tg, Ops.mul(p, Ops.sum(tg, d, true)));
            Tensor b = ty == null ? null : Ops.neg(Ops.mul(Ops.mul(ty, p), Ops.sum(g, d, true)));
            return ArithOps.plus(a, b);
        }
    };

    // ---------------------------------------------------------------- forward

    static Tensor softmax(Tensor x, int dim) {
        return forward(SOFTMAX, x, dim);
    }

    static Tensor logSoftmax(Tensor x, int dim) {
        return forward(LOG_SOFTMAX, x, dim);
    }

    private static Tensor forward(Op op, Tensor x, int dim) {
        Context c = Context.get();
        Checks.floating(op.name(), x);
        int d = Checks.dim(op.name(), x, dim, x.rank());
        Tensor out = c.resultLike(x);
        if (op == SOFTMAX) {
            Softmax.softmax(x, d, out);
        } else {
            Softmax.logSoftmax(x, d, out);
        }
        if (c.tracks(x)) {
            c.begin(op).in(x).attr(0, d).commit(out);
        }
        return out;
    }

    /** y (g - sum_d(g y)), y a softmax result (Note [Softmax backward ops]). */
    static Tensor softmaxBackward(Tensor g, Tensor y, int dim) {
        return backward(SOFTMAX_BACKWARD, g, y, dim);
    }

    /** g - exp(y) sum_d(g), y a log-softmax result (Note [Softmax backward ops]). */
    static Tensor logSoftmaxBackward(Tensor g, Tensor y, int dim) {
        return backward(LOG_SOFTMAX_BACKWARD, g, y, dim);
    }

    private static Tensor backward(Op op, Tensor g, Tensor y, int dim) {
        Context c = Context.get();
        Checks.floating(op.name(), g, y);
        if (!g.sameShape(y)) {
            throw new IllegalArgumentException(op.name() + ": gradient " + g.describe() + " and result " + y.describe()
                    + " must have one shape");
        }
        int d = Checks.dim(op.name(), y, dim, y.rank());
        Tensor out = c.resultLike(y);
        if (op == SOFTMAX_BACKWARD) {
            Softmax.softmaxBackward(g, y, d, out);
        } else {
            Softmax.logSoftmaxBackward(g, y, d, out);
        }
        if (c.tracks(g, y)) {
            c.begin(op).in(g).in(y).attr(0, d).commit(out);
        }
        return out;
    }
}
