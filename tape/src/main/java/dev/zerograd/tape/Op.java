package dev.zerograd.tape;

import dev.zerograd.memory.Tensor;

/**
 * One differentiable operation's rules, defined once: the forward function lives beside the op (in its family
 * class, calling a kernel), and this object carries its reverse-mode rule {@link #vjp} and forward-mode rule
 * {@link #jvp}. Rules are written against the op API ({@link Ops}), never raw kernels, so that in
 * create-graph mode the gradient computation records onto the tape and can itself be differentiated.
 *
 * <p>Rule vocabulary (the same in every rule): {@code n.input(i)}, {@code n.result()}, {@code n.saved(i)},
 * {@code n.attr(i)} / {@code n.scalar(i)} for integer / real attributes, {@code n.needsGrad(i)} for the
 * inputs a gradient is wanted for, {@code g} for the gradient of the result, and {@code n.tangent(i)} for
 * input tangents (null means zero) in forward mode.
 *
 * <p>Every op registers itself in {@link OpRegistry} on construction; the coverage test checks that each has
 * a gradcheck entry.
 */
public abstract class Op {
    private final String name;
    private final int code;

    protected Op(String name) {
        this.name = name;
        this.code = OpRegistry.register(this);
    }

    /** The op's name as used in messages ({@code "mul"}, {@code "matmul"}). */
    public final String name() {
        return name;
    }

    /** The op's registry index. */
    public final int code() {
        return code;
    }

    /**
     * Reverse mode: for every input {@code i} with {@code n.needsGrad(i)}, hand the gradient of the loss with
     * respect to that input to {@code grads} (with {@link Grads#add} when it already has the input's shape,
     * {@link Grads#addReduced} when it has the broadcast shape of the result).
     */
    public abstract void vjp(Node n, Tensor g, Grads grads);

    /**
     * Forward mode: the tangent of the result given the inputs' tangents {@code n.tangent(i)} (null = zero),
     * or null when it is zero.
     */
    public abstract Tensor jvp(Node n);

    @Override
    public String toString() {
        return name;
    }
}
