package dev.zerograd.tape;

import dev.zerograd.memory.Tensor;

/**
 * One application of an {@link Op}, as its rules see it: either a record on a {@link GradientTape} (during
 * backward) or the call in flight (forward mode). All accessors are allocation-free.
 */
public abstract class Node {
    Node() {}

    /** The op applied. */
    public abstract Op op();

    /** Number of tensor inputs. */
    public abstract int inputCount();

    /** Input {@code i} as it was passed to the op. */
    public abstract Tensor input(int i);

    /** True when a gradient is wanted for input {@code i}. */
    public abstract boolean needsGrad(int i);

    /** The op's result. */
    public abstract Tensor result();

    /** Extra tensor {@code i} the forward pass saved for the rules (e.g. softmax's log-probabilities). */
    public abstract Tensor saved(int i);

    /** Integer attribute {@code i} (a dim, a dim mask, a size, a flag). */
    public abstract long attr(int i);

    /** Real attribute {@code i} (an exponent, a slope, a smoothing factor). */
    public abstract double scalar(int i);

    /** The user object attached to the record ({@link CustomOp}s), or null. */
    public abstract Object payload();

    /** The forward-mode tangent of input {@code i}, or null when it is zero. */
    public Tensor tangent(int i) {
        return input(i).tangent();
    }

    /** Integer attribute {@code i} as an int. */
    public final int iattr(int i) {
        return (int) attr(i);
    }
}
