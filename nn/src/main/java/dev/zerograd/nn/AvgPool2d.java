package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.Ops;

/**
 * Mean over {@code kH x kW} windows of {@code x [N, C, H, W]}. With {@code countIncludePad} (PyTorch's default)
 * padded zeros count in the divisor; without it only the window's real elements do. Stride defaults to the
 * kernel size. No parameters.
 */
public final class AvgPool2d extends Module {
    private final int kH;
    private final int kW;
    private final int sH;
    private final int sW;
    private final int pH;
    private final int pW;
    private final boolean countIncludePad;

    /** A square window with stride equal to its size, no padding. */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0, true);
    }

    /** A square window with the given stride and padding. */
    public AvgPool2d(int kernel, int stride, int padding, boolean countIncludePad) {
        this(kernel, kernel, stride, stride, padding, padding, countIncludePad);
    }

    /** Every size given per axis (height, then width). */
    public AvgPool2d(int kH, int kW, int sH, int sW, int pH, int pW, boolean countIncludePad) {
        if (kH < 1 || kW < 1 || sH < 1 || sW < 1 || pH < 0 || pW < 0 || 2 * pH > kH || 2 * pW > kW) {
            throw new IllegalArgumentException("AvgPool2d: kernel " + kH + "x" + kW + " and stride " + sH + "x" + sW
                    + " must be positive and padding " + pH + "x" + pW + " at most half the kernel");
        }
        this.kH = kH;
        this.kW = kW;
        this.sH = sH;
        this.sW = sW;
        this.pH = pH;
        this.pW = pW;
        this.countIncludePad = countIncludePad;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Ops.avgPool2d(x, kH, kW, sH, sW, pH, pW, countIncludePad);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=(" + kH + ", " + kW + "), stride=(" + sH + ", " + sW + "), padding=(" + pH + ", " + pW
                + "), count_include_pad=" + countIncludePad;
    }
}
