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
     * The leaf gradient buffer (input {@code i}'s shape, contiguous) that a rule may sum its contribution into
     * with a kernel, as {@code buffer = directBeta() * buffer + contribution}, instead of calling {@link #add};
     * null when it must call {@link #add} (Note [Direct leaf accumulation] in {@link GradientTape}). Ask once
     * per contribution, right before writing, and read {@link #directBeta()} after asking.
     */
    public Tensor direct(int i) {
        return tape.direct(record, i);
    }

    /** 0 when the buffer {@link #direct} just returned is new (contents undefined), 1 when it holds a sum. */
    public double directBeta() {
        return tape.directBeta();
    }

    /**
     * The gradient for input {@code i} in the broadcast shape of the op's result: dims the input was broadcast
     * along are summed first (the reverse of NumPy broadcasting).
     */
    public void addReduced(int i, Tensor grad) {
        tape.accumulate(record, i, grad, true);
    }
}
