package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.Ops;

/**
 * The mean of each channel of {@code x [N, C, H, W]}, giving {@code [N, C, 1, 1]} (global average pooling).
 * Only the output size 1 is supported. No parameters.
 */
public final class AdaptiveAvgPool2d extends Module {
    /** Output size 1x1. */
    public AdaptiveAvgPool2d() {
        this(1);
    }

    /**
     * @throws IllegalArgumentException unless {@code outputSize} is 1
     */
    public AdaptiveAvgPool2d(int outputSize) {
        if (outputSize != 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d: output size " + outputSize
                    + " is not supported; only 1 (global average pooling) is");
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        return Ops.adaptiveAvgPool2d1x1(x);
    }

    @Override
    protected String extraRepr() {
        return "output_size=1";
    }
}
