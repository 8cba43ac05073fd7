package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.Ops;

/** {@code x * sigmoid(x)} elementwise (also called swish). No parameters. */
public final class SiLU extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return Ops.silu(x);
    }
}
