package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.Ops;

/**
 * Max over {@code kH x kW} windows of {@code x [N, C, H, W]}; padding counts as -infinity. The gradient goes
 * to each window's (first) maximum. Stride defaults to the kernel size, as in PyTorch. No parameters.
 */
public final class MaxPool2d extends Module {
    private final int kH;
    private final int kW;
    private final int sH;
    private final int sW;
    private final int pH;
    private final int pW;
    private final int dH;
    private final int dW;

    /** A square window with stride equal to its size. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0, 1);
    }

    /** A square window with the given stride, padding and dilation. */
    public MaxPool2d(int kernel, int stride, int padding, int dilation) {
        this(kernel, kernel, stride, stride, padding, padding, dilation, dilation);
    }

    /** Every size given per axis (height, then width). */
    public MaxPool2d(int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW) {
        if (kH < 1 || kW < 1 || sH < 1 || sW < 1 || dH < 1 || dW < 1 || pH < 0 || pW < 0 || 2 * pH > kH || 2 * pW > kW) {
            throw new IllegalArgumentException("MaxPool2d: kernel " + kH + "x" + kW + ", stride " + sH + "x" + sW + ", dilation "
                    + dH + "x" + dW + " must be positive and padding " + pH + "x" + pW + " at most half the kernel");
        }
        this.kH = kH;
        this.kW = kW;
        this.sH = sH;
        this.sW = sW;
        this.pH = pH;
        this.pW = pW;
        this.dH = dH;
        this.dW = dW;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Ops.maxPool2d(x, kH, kW, sH, sW, pH, pW, dH, dW);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=(" + kH + ", " + kW + "), stride=(" + sH + ", " + sW + "), padding=(" + pH + ", " + pW
                + "), dilation=(" + dH + ", " + dW + ")";
    }
}
