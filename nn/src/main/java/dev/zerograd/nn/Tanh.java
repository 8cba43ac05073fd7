package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.Ops;

/** {@code tanh(x)} elementwise. No parameters. */
public final class Tanh extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return Ops.tanh(x);
    }
}
