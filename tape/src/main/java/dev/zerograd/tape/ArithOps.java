package dev.zerograd.tape;

import dev.zerograd.kernels.BinaryOp;
import dev.zerograd.kernels.Elementwise;
import dev.zerograd.memory.Tensor;

/**
 * Binary arithmetic with NumPy broadcasting, the affine map {@code alpha * x + beta} (which carries every
 * tensor-scalar op), {@code where}, {@code clamp}, and the non-differentiable comparisons. Each op's forward
 * function, VJP and JVP are side by side.
 */
final class ArithOps {
    private ArithOps() {}

    // ---------------------------------------------------------------- forward helpers

    /** out = a k b with broadcasting, recorded as {@code op}. */
    static Tensor binary(Op op, BinaryOp k, Tensor a, Tensor b) {
        Context c = Context.get();
        Checks.floating(op.name(), a, b);
        Tensor out = a.sameShape(b) ? c.resultLike(a) : c.result(a, a.dtype(), c.shapeA, Checks.broadcast(op.name(), a, b, c.shapeA));
        Elementwise.binary(k, a, b, out);
        if (c.tracks(a, b)) {
            c.record(op, a, b, 0, out);
        }
        return out;
    }

    /** The tangent {@code t} (of an input) broadcast to the result's shape, or null. */
    static Tensor toResult(Tensor t, Node n) {
        return t == null || t.sameShape(n.result()) ? t : Ops.broadcastTo(t, n.result());
    }

    /** a + b where either may be null (zero). */
    static Tensor plus(Tensor a, Tensor b) {
        return a == null ? b : b == null ? a : Ops.add(a, b);
    }

    // ---------------------------------------------------------------- add, sub, mul, div

    static final Op ADD = new Op("add") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.addReduced(0, g);
            grads.addReduced(1, g);
        }
        @Override public Tensor jvp(Node n) {
            return toResult(plus(n.tangent(0), n.tangent(1)), n);
        }
    };

    static final Op SUB = new Op("sub") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.addReduced(0, g);
            if (n.needsGrad(1)) {
                grads.addReduced(1, Ops.neg(g));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor ta = n.tangent(0);
            Tensor tb = n.tangent(1);
            return toResult(tb == null ? ta : ta == null ? Ops.neg(tb) : Ops.sub(ta, tb), n);
        }
    };

    static final Op MUL = new Op("mul") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            if (n.needsGrad(0)) {
                grads.addReduced(0, Ops.mul(g, n.input(1)));
            }
            if (n.needsGrad(1)) {
                grads.addReduced(1, Ops.mul(g, n.input(0)));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor ta = n.tangent(0);
            Tensor tb = n.tangent(1);
            return toResult(plus(ta == null ? null : Ops.mul(ta, n.input(1)), tb == null ? null : Ops.mul(n.input(0), tb)), n);
        }
    };

    /** d(a/b) = da / b - db * (a/b) / b. */
    static final Op DIV = new Op("div") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor b = n.input(1);
            Tensor gb = Ops.div(g, b);
            if (n.needsGrad(0)) {
                grads.addReduced(0, gb);
            }
            if (n.needsGrad(1)) {
                grads.addReduced(1, Ops.neg(Ops.mul(gb, n.result())));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor num = n.tangent(0);
            Tensor tb = n.tangent(1);
            if (tb != null) {
                Tensor tby = Ops.mul(tb, n.result());
                num = num == null ? Ops.neg(tby) : Ops.sub(num, tby);
            }
            return num == null ? null : toResult(Ops.div(num, n.input(1)), n);
        }
    };

    static Tensor add(Tensor a, Tensor b) {
        return binary(ADD, BinaryOp.ADD, a, b);
    }

    static Tensor sub(Tensor a, Tensor b) {
        return binary(SUB, BinaryOp.SUB, a, b);
    }

    static Tensor mul(Tensor a, Tensor b) {
        return binary(MUL, BinaryOp.MUL, a, b);
    }

    static Tensor div(Tensor a, Tensor b) {
        return binary(DIV, BinaryOp.DIV, a, b);
    }

    // ---------------------------------------------------------------- pow, maximum, minimum

    /** d(a^b) = b a^(b-1) da + a^b log(a) db. */
    static final Op POW = new Op("pow") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor a = n.input(0);
            Tensor b = n.input(1);
            if (n.needsGrad(0)) {
                grads.addReduced(0, Ops.mul(g, Ops.mul(b, Ops.pow(a, Ops.sub(b, 1.0)))));
            }
            if (n.needsGrad(1)) {
                grads.addReduced(1, Ops.mul(g, Ops.mul(n.result(), Ops.log(a))));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor a = n.input(0);
            Tensor b = n.input(1);
            Tensor ta = n.tangent(0);
            Tensor tb = n.tangent(1);
            return toResult(plus(ta == null ? null : Ops.mul(ta, Ops.mul(b, Ops.pow(a, Ops.sub(b, 1.0)))),
                    tb == null ? null : Ops.mul(tb, Ops.mul(n.result(), Ops.log(a)))), n);
        }
    };

    static Tensor pow(Tensor a, Tensor b) {
        return binary(POW, BinaryOp.POW, a, b);
    }

    /**
     * The share of the gradient of max(a, b) that flows to a: 1 where a > b, 1/2 where a == b (ties split
     * the gradient evenly, keeping the rule symmetric), 0 elsewhere. Piecewise constant: no gradient of its own.
     */
    static Tensor maxShare(Tensor a, Tensor b) {
        return Ops.add(Ops.gt(a, b), Ops.mul(Ops.eq(a, b), 0.5));
    }

    static final Op MAXIMUM = new Op("maximum") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor a = n.input(0);
            Tensor b = n.input(1);
            if (n.needsGrad(0)) {
                grads.addReduced(0, Ops.mul(g, maxShare(a, b)));
            }
            if (n.needsGrad(1)) {
                grads.addReduced(1, Ops.mul(g, maxShare(b, a)));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor a = n.input(0);
            Tensor b = n.input(1);
            Tensor ta = n.tangent(0);
            Tensor tb = n.tangent(1);
            return toResult(plus(ta == null ? null : Ops.mul(ta, maxShare(a, b)), tb == null ? null : Ops.mul(tb, maxShare(b, a))), n);
        }
    };

    static final Op MINIMUM = new Op("minimum") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor a = n.input(0);
            Tensor b = n.input(1);
            if (n.needsGrad(0)) {
                grads.addReduced(0, Ops.mul(g, maxShare(b, a)));
            }
            if (n.needsGrad(1)) {
                grads.addReduced(1, Ops.mul(g, maxShare(a, b)));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor a = n.input(0);
            Tensor b = n.input(1);
            Tensor ta = n.tangent(0);
            Tensor tb = n.tangent(1);
            return toResult(plus(ta == null ? null : Ops.mul(ta, maxShare(b, a)), tb == null ? null : Ops.mul(tb, maxShare(a, b))), n);
        }
    };

    static Tensor maximum(Tensor a, Tensor b) {
        return binary(MAXIMUM, BinaryOp.MAXIMUM, a, b);
    }

    static Tensor minimum(Tensor a, Tensor b) {
        return binary(MINIMUM, BinaryOp.MINIMUM, a, b);
    }

    // ---------------------------------------------------------------- comparisons (not differentiable)

    /** 1 where {@code a k b} holds, else 0, in a's dtype. Never recorded: the result is piecewise constant. */
    static Tensor compare(String name, BinaryOp k, Tensor a, Tensor b) {
        Context c = Context.get();
        Checks.floating(name, a, b);
        int r = Checks.broadcast(name, a, b, c.shapeA);
        Tensor out = c.result(a, a.dtype(), c.shapeA, r);
        Elementwise.binary(k, a, b, out);
        return out;
    }

    // ---------------------------------------------------------------- affine: every tensor-scalar op

    /** y = alpha * x + beta; attributes: scalar 0 = alpha, scalar 1 = beta. */
    static final Op AFFINE = new Op("affine") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, Ops.mul(g, n.scalar(0)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : Ops.mul(t, n.scalar(0));
        }
    };

    static Tensor affine(Tensor x, double alpha, double beta) {
        Context c = Context.get();
        Checks.floating("affine", x);
        Tensor out = c.resultLike(x);
        Elementwise.affine(x, alpha, beta, out);
        if (c.tracks(x)) {
            c.begin(AFFINE).in(x).scalar(0, alpha).scalar(1, beta).commit(out);
        }
        return out;
    }

    // ---------------------------------------------------------------- where, clamp

    /** y = cond ? a : b; cond is not differentiable (input 0). */
    static final Op WHERE = new Op("where") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor cond = n.input(0);
            if (n.needsGrad(1)) {
                grads.addReduced(1, Ops.where(cond, g, Ops.zerosLike(g)));
            }
            if (n.needsGrad(2)) {
                grads.addReduced(2, Ops.where(cond, Ops.zerosLike(g), g));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor ta = n.tangent(1);
            Tensor tb = n.tangent(2);
            if (ta == null && tb == null) {
                return null;
            }
            Tensor r = n.result();
            return Ops.where(n.input(0), ta == null ? Ops.zerosLike(r) : ta, tb == null ? Ops.zerosLike(r) : tb);
        }
    };

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        Context c = Context.get();
        cond.checkValid();
        Checks.floating("where", a, b);
        int r = Checks.broadcast("where", a, b, c.shapeA);
        r = Checks.broadcastInto("where", c.shapeA, r, cond);
        Tensor out = c.result(a, a.dtype(), c.shapeA, r);
        Elementwise.where(cond, a, b, out);
        if (c.tracks(cond, a, b)) {
            if (cond.needsGrad()) {
                cond = Ops.detach(cond);
            }
            c.begin(WHERE).in(cond).in(a).in(b).commit(out);
        }
        return out;
    }

    /** y = min(max(x, lo), hi); the gradient flows where lo <= x <= hi. */
    static final Op CLAMP = new Op("clamp") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, Ops.mul(g, clampMask(n)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : Ops.mul(t, clampMask(n));
        }
    };

    private static Tensor clampMask(Node n) {
        Tensor x = n.input(0);
        Tensor m = Context.get().resultLike(x);
        Elementwise.clampMask(x, n.scalar(0), n.scalar(1), m);
        return m;
    }

    static Tensor clamp(Tensor x, double lo, double hi) {
        Context c = Context.get();
        Checks.floating("clamp", x);
        if (lo > hi || Double.isNaN(lo) || Double.isNaN(hi)) {
            throw new IllegalArgumentException("clamp: bounds [" + lo + ", " + hi + "] for " + x.describe() + " are not an interval (expected lo <= hi)");
        }
        Tensor out = c.resultLike(x);
        Elementwise.clamp(x, lo, hi, out);
        if (c.tracks(x)) {
            c.begin(CLAMP).in(x).scalar(0, lo).scalar(1, hi).commit(out);
        }
        return out;
    }
}
