package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.Ops;

/**
 * GELU elementwise: exact {@code x * Phi(x)} (Phi the standard normal CDF), or with {@code approximateTanh}
 * PyTorch's {@code approximate='tanh'} form {@code x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. No parameters.
 */
public final class GELU extends Module {
    private final boolean approximateTanh;

    /** The exact GELU. */
    public GELU() {
        this(false);
    }

    public GELU(boolean approximateTanh) {
        this.approximateTanh = approximateTanh;
    }

    @Override
    public Tensor forward(Tensor x) {
        return approximateTanh ? Ops.geluTanh(x) : Ops.gelu(x);
    }

    @Override
    protected String extraRepr() {
        return approximateTanh ? "approximate='tanh'" : "";
    }
}
