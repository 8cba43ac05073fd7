package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.Ops;

/**
 * Merges dims {@code startDim..endDim} into one (default 1..-1: {@code [N, C, H, W] -> [N, C*H*W]}); a view
 * when the input is contiguous. A rank-2 input with the defaults passes through unchanged. No parameters.
 */
public final class Flatten extends Module {
    private final int startDim;
    private final int endDim;

    /** Dims 1 to the last. */
    public Flatten() {
        this(1, -1);
    }

    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Ops.flatten(x, startDim, endDim);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=" + endDim;
    }
}
