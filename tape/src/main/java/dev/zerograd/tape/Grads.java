package dev.zerograd.tape;

import dev.zerograd.memory.Tensor;

/**
 * Where a {@link Op#vjp} rule hands the gradients it computes for its inputs. The tape validates every
 * gradient (shape, dtype, and in anomaly mode finiteness) with a message naming the op, the input index,
 * what was expected and what came, then accumulates it.
 */
public final class Grads {
    private final GradientTape tape;
    int record;

    Grads(GradientTape tape) {
        this.tape = tape;
    }

    /** The gradient for input {@code i}, which must have exactly that input's shape and dtype. */
    public void add(int i, Tensor grad) {
        tape.accumulate(record, i, grad, false);
    }

    /**
     * The gradient for input {@code i} in the broadcast shape of the op's result: dims the input was broadcast
     * along are summed first (the reverse of NumPy broadcasting).
     */
    public void addReduced(int i, Tensor grad) {
        tape.accumulate(record, i, grad, true);
    }
}
