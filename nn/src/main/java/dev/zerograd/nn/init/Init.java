package dev.zerograd.nn.init;

import dev.zerograd.memory.Philox;
import dev.zerograd.memory.Tensor;

/**
 * Parameter initialization in place, from the counter-based generator ({@link Philox}): element {@code i}
 * (row-major) of a tensor initialized with seed {@code s} is a pure function of {@code (s, i)}, computed in
 * double with {@link StrictMath} and rounded once to the tensor's dtype, so the same seed gives the same
 * weights on every machine and thread count. The formulas are PyTorch's {@code torch.nn.init} ones; the
 * random streams are not PyTorch's, so the numbers differ from PyTorch's for the same seed.
 *
 * <p>Fans follow PyTorch: for a weight of shape {@code [out, in, k...]} (Linear {@code [out, in]}, Conv2d
 * {@code [out, in / groups, kH, kW]}) the receptive field is {@code prod(k...)}, {@code fan_in = in * rf}
 * and {@code fan_out = out * rf}.
 *
 * <p>These run at construction time and are not meant for training loops (one generator call per element).
 */
public final class Init {
    private Init() {}

    /** Which fan the variance is scaled by: fan_in keeps the forward activations' scale, fan_out the gradients'. */
    public enum FanMode { FAN_IN, FAN_OUT }

    /** The nonlinearity that follows the layer, which sets the recommended gain ({@code torch.nn.init.calculate_gain}). */
    public enum Nonlinearity {
        /** gain 1 (also conv and the identity) */
        LINEAR,
        /** gain 1 */
        SIGMOID,
        /** gain 5/3 */
        TANH,
        /** gain sqrt(2) */
        RELU,
        /** gain sqrt(2 / (1 + a^2)), a the negative slope */
        LEAKY_RELU,
        /** gain 3/4 */
        SELU
    }

    /** The recommended gain for {@code nl}; {@code param} is leaky ReLU's negative slope (ignored otherwise). */
    public static double gain(Nonlinearity nl, double param) {
        return switch (nl) {
            case LINEAR, SIGMOID -> 1.0;
            case TANH -> 5.0 / 3.0;
            case RELU -> Math.sqrt(2.0);
            case LEAKY_RELU -> Math.sqrt(2.0 / (1.0 + param * param));
            case SELU -> 0.75;
        };
    }

    // ---------------------------------------------------------------- fans

    /** {@code size(1) * prod(size(2..))}; needs rank 2 or more. */
    public static long fanIn(Tensor w) {
        checkFans("fanIn", w);
        return w.size(1) * receptiveField(w);
    }

    /** {@code size(0) * prod(size(2..))}; needs rank 2 or more. */
    public static long fanOut(Tensor w) {
        checkFans("fanOut", w);
        return w.size(0) * receptiveField(w);
    }

    private static long receptiveField(Tensor w) {
        long rf = 1;
        for (int d = 2; d < w.rank(); d++) {
            rf *= w.size(d);
        }
        return rf;
    }

    private static void checkFans(String op, Tensor w) {
        if (w.rank() < 2) {
            throw new IllegalArgumentException("Init." + op + ": fans need a tensor of rank 2 or more, got " + w.describe());
        }
    }

    private static long fan(Tensor w, FanMode mode) {
        return mode == FanMode.FAN_IN ? fanIn(w) : fanOut(w);
    }

    // ---------------------------------------------------------------- plain distributions

    /** Every element uniform in {@code [lo, hi)}. Modifies {@code t}. */
    public static void uniform(Tensor t, double lo, double hi, long seed) {
        checkFloating("uniform", t);
        if (!(hi >= lo) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw new IllegalArgumentException("Init.uniform: bounds [" + lo + ", " + hi + ") must be finite with lo <= hi, for "
                    + t.describe());
        }
        double width = hi - lo;
        for (long i = 0, n = t.numel(); i < n; i++) {
            t.setDoubleFlat(i, lo + width * Philox.uniformDouble(seed, i, 0));
        }
    }

    /** Every element normal with the given mean and standard deviation. Modifies {@code t}. */
    public static void normal(Tensor t, double mean, double std, long seed) {
        checkFloating("normal", t);
        if (!(std >= 0) || !Double.isFinite(std) || !Double.isFinite(mean)) {
            throw new IllegalArgumentException("Init.normal: mean " + mean + " and std " + std + " must be finite with std >= 0, for "
                    + t.describe());
        }
        for (long i = 0, n = t.numel(); i < n; i++) {
            t.setDoubleFlat(i, mean + std * Philox.normal(seed, i, 0));
        }
    }

    /** Every element {@code v}. Modifies {@code t}. */
    public static void constant(Tensor t, double v) {
        t.fill(v);
    }

    /** Every element 0. Modifies {@code t}. */
    public static void zeros(Tensor t) {
        t.fill(0);
    }

    /** Every element 1. Modifies {@code t}. */
    public static void ones(Tensor t) {
        t.fill(1);
    }

    // ---------------------------------------------------------------- Kaiming (He et al. 2015)

    /**
     * Uniform in {@code [-bound, bound]} with {@code bound = gain * sqrt(3 / fan)} (std {@code gain / sqrt(fan)}).
     * PyTorch's default for Linear and Conv2d weights is {@code a = sqrt(5)}, FAN_IN, LEAKY_RELU, which gives
     * {@code bound = 1 / sqrt(fan_in)}. Modifies {@code w}.
     */
    public static void kaimingUniform(Tensor w, double a, FanMode mode, Nonlinearity nl, long seed) {
        double bound = gain(nl, a) * Math.sqrt(3.0 / fan(w, mode));
        uniform(w, -bound, bound, seed);
    }

    /** {@link #kaimingUniform(Tensor, double, FanMode, Nonlinearity, long)} for ReLU layers: a = 0, FAN_IN. */
    public static void kaimingUniform(Tensor w, long seed) {
        kaimingUniform(w, 0, FanMode.FAN_IN, Nonlinearity.RELU, seed);
    }

    /** Normal with mean 0 and {@code std = gain / sqrt(fan)}. Modifies {@code w}. */
    public static void kaimingNormal(Tensor w, double a, FanMode mode, Nonlinearity nl, long seed) {
        double std = gain(nl, a) / Math.sqrt(fan(w, mode));
        normal(w, 0, std, seed);
    }

    /** {@link #kaimingNormal(Tensor, double, FanMode, Nonlinearity, long)} for ReLU layers: a = 0, FAN_IN. */
    public static void kaimingNormal(Tensor w, long seed) {
        kaimingNormal(w, 0, FanMode.FAN_IN, Nonlinearity.RELU, seed);
    }

    // ---------------------------------------------------------------- Xavier / Glorot (Glorot and Bengio 2010)

    /** Uniform in {@code [-bound, bound]} with {@code bound = gain * sqrt(6 / (fan_in + fan_out))}. Modifies {@code w}. */
    public static void xavierUniform(Tensor w, double gain, long seed) {
        double bound = gain * Math.sqrt(6.0 / (fanIn(w) + fanOut(w)));
        uniform(w, -bound, bound, seed);
    }

    /** Normal with mean 0 and {@code std = gain * sqrt(2 / (fan_in + fan_out))}. Modifies {@code w}. */
    public static void xavierNormal(Tensor w, double gain, long seed) {
        double std = gain * Math.sqrt(2.0 / (fanIn(w) + fanOut(w)));
        normal(w, 0, std, seed);
    }

    // ---------------------------------------------------------------- PyTorch's layer defaults

    /**
     * What PyTorch's {@code Linear.reset_parameters} and {@code Conv2d.reset_parameters} do: the weight
     * Kaiming-uniform with {@code a = sqrt(5)} (bound {@code 1 / sqrt(fan_in)}), the bias uniform in
     * {@code [-1 / sqrt(fan_in), 1 / sqrt(fan_in)]}. Modifies {@code w} and {@code biasOrNull}.
     */
    public static void pytorchDefault(Tensor w, Tensor biasOrNull, long weightSeed, long biasSeed) {
        kaimingUniform(w, Math.sqrt(5.0), FanMode.FAN_IN, Nonlinearity.LEAKY_RELU, weightSeed);
        if (biasOrNull != null) {
            long fanIn = fanIn(w);
            double bound = fanIn > 0 ? 1.0 / Math.sqrt(fanIn) : 0.0;
            uniform(biasOrNull, -bound, bound, biasSeed);
        }
    }

    private static void checkFloating(String op, Tensor t) {
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("Init." + op + ": tensor " + t.describe() + " is not floating point");
        }
    }
}
