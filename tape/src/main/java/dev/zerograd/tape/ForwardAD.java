package dev.zerograd.tape;

import dev.zerograd.memory.Tensor;

/**
 * Forward-mode automatic differentiation with dual tensors: inside {@link #scope()}, every op whose inputs
 * carry tangents ({@link Tensor#setTangent}) computes the tangent of its result with its JVP rule, so a
 * result's {@link Tensor#tangent()} is the Jacobian-vector product {@code J v}.
 *
 * <pre>{@code
 * try (Tape.Guard fw = ForwardAD.scope()) {
 *     x.setTangent(v);
 *     Tensor y = f(x);
 *     Tensor jv = y.tangent();
 * }
 * }</pre>
 */
public final class ForwardAD {
    private ForwardAD() {}

    /** Enables tangent propagation on this thread until closed. */
    public static Tape.Guard scope() {
        return Context.get().forwardGuard.enter();
    }

    /** Attaches {@code tangent} to {@code primal} (same shape and dtype) and returns the primal. */
    public static Tensor dual(Tensor primal, Tensor tangent) {
        primal.checkValid();
        tangent.checkValid();
        Checks.sameShapeAndDtype("ForwardAD.dual", primal, tangent);
        primal.setTangent(tangent);
        return primal;
    }
}
