package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.Ops;

/** {@code 1 / (1 + e^-x)} elementwise. No parameters. */
public final class Sigmoid extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return Ops.sigmoid(x);
    }
}
