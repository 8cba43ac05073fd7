package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.nn.init.Init;
import dev.zerograd.tape.Ops;

/**
 * 2-D convolution (cross-correlation, as PyTorch) of {@code x [N, in, H, W]} with
 * {@code weight [out, in / groups, kH, kW]} plus {@code bias [out]}, giving {@code [N, out, H', W']} with
 * {@code H' = (H + 2 padH - dilationH (kH - 1) - 1) / strideH + 1} (likewise W'). Initialized as PyTorch's
 * Conv2d ({@link Init#pytorchDefault}). Parameters: {@code weight}, {@code bias}.
 */
public final class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int kH;
    private final int kW;
    private final int strideH;
    private final int strideW;
    private final int padH;
    private final int padW;
    private final int dilationH;
    private final int dilationW;
    private final int groups;
    private final Tensor weight;
    private final Tensor bias;

    /** A square kernel, stride 1, no padding, with a bias. */
    public Conv2d(Parameters p, int inChannels, int outChannels, int kernel) {
        this(p, inChannels, outChannels, kernel, 1, 0);
    }

    /** A square kernel with the given stride and padding, with a bias. */
    public Conv2d(Parameters p, int inChannels, int outChannels, int kernel, int stride, int padding) {
        this(p, inChannels, outChannels, kernel, stride, padding, 1, 1, true);
    }

    /** Square kernel, stride, padding and dilation. */
    public Conv2d(Parameters p, int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, int groups,
                  boolean bias) {
        this(p, inChannels, outChannels, kernel, kernel, stride, stride, padding, padding, dilation, dilation, groups, bias);
    }

    /** Every size given per axis (height, then width). */
    public Conv2d(Parameters p, int inChannels, int outChannels, int kH, int kW, int strideH, int strideW, int padH, int padW,
                  int dilationH, int dilationW, int groups, boolean bias) {
        if (inChannels < 1 || outChannels < 1 || groups < 1 || inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: " + inChannels + " in and " + outChannels + " out channels must be positive"
                    + " multiples of groups " + groups);
        }
        if (kH < 1 || kW < 1 || strideH < 1 || strideW < 1 || padH < 0 || padW < 0 || dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException("Conv2d: kernel " + kH + "x" + kW + ", stride " + strideH + "x" + strideW
                    + ", dilation " + dilationH + "x" + dilationW + " must be positive and padding " + padH + "x" + padW
                    + " non-negative");
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kH = kH;
        this.kW = kW;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padH = padH;
        this.padW = padW;
        this.dilationH = dilationH;
        this.dilationW = dilationW;
        this.groups = groups;
        this.weight = registerParameter("weight", p.empty(outChannels, inChannels / groups, kH, kW));
        this.bias = bias ? registerParameter("bias", p.empty(outChannels)) : null;
        Init.pytorchDefault(weight, this.bias, p.nextSeed(), p.nextSeed());
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4 || x.size(1) != inChannels) {
            throw new IllegalArgumentException("Conv2d(" + inChannels + ", " + outChannels + ").forward: input " + x.describe()
                    + " must be [N, " + inChannels + ", H, W]");
        }
        return Ops.conv2d(x, weight, bias, strideH, strideW, padH, padW, dilationH, dilationW, groups);
    }

    /** {@code [out, in / groups, kH, kW]}. */
    public Tensor weight() {
        return weight;
    }

    /** {@code [out]}, or null without a bias. */
    public Tensor bias() {
        return bias;
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    /** The output's spatial size along an axis of input size {@code in} (0 for height, 1 for width). */
    public long outputSize(int axis, long in) {
        int k = axis == 0 ? kH : kW;
        int s = axis == 0 ? strideH : strideW;
        int pad = axis == 0 ? padH : padW;
        int d = axis == 0 ? dilationH : dilationW;
        return (in + 2L * pad - (long) d * (k - 1) - 1) / s + 1;
    }

    @Override
    protected String extraRepr() {
        StringBuilder sb = new StringBuilder().append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=(").append(kH).append(", ").append(kW).append("), stride=(").append(strideH)
                .append(", ").append(strideW).append(')');
        if (padH != 0 || padW != 0) {
            sb.append(", padding=(").append(padH).append(", ").append(padW).append(')');
        }
        if (dilationH != 1 || dilationW != 1) {
            sb.append(", dilation=(").append(dilationH).append(", ").append(dilationW).append(')');
        }
        if (groups != 1) {
            sb.append(", groups=").append(groups);
        }
        if (bias == null) {
            sb.append(", bias=false");
        }
        return sb.toString();
    }
}
