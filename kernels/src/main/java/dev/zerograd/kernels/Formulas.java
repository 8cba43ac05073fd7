package dev.zerograd.kernels;

/**
 * The scalar formula of every elementwise op, in double precision. {@link ElementwiseRef} evaluates them
 * element by element; the vector loops ({@link VecF32}, {@link VecF64}) write the same formulas in lanes
 * and call {@link #geluErf}, {@link #geluErfGrad} and {@link Erf#erf} per lane where they have no vector
 * form.
 */
final class Formulas {
    private Formulas() {}

    /** sqrt(2 / pi), the GELU tanh-approximation scale. */
    static final double SQRT_2_OVER_PI = 0.7978845608028654;
    /** The cubic coefficient of the GELU tanh approximation. */
    static final double GELU_C = 0.044715;
    /** 1 / sqrt(2). */
    static final double SQRT1_2 = 0.7071067811865476;
    /** 1 / sqrt(2 pi), the standard normal density at 0. */
    static final double INV_SQRT_2PI = 0.3989422804014327;
    /** Above this beta x, softplus(x) is x and its derivative 1 (the rest is below f32 resolution of x). */
    static final double SOFTPLUS_THRESHOLD = 20.0;

    /**
     * tanh(x) rounded to float, within 3 ulps of {@code (float) Math.tanh(x)} for every float x (measured over
     * all floats in [-20, 20]).
     *
     * <p>Note [Float tanh]: {@code Math.tanh} costs several times a multiply-add chain per element, and a
     * chain of small elementwise ops (tanh every fourth op in OpChain) spends most of its time there. This is
     * the odd/even rational minimax approximation p13(x) / q6(x) that Eigen uses for float tanh (coefficients
     * from Eigen's {@code generic_fast_tanh_float}), evaluated in double on x clamped to [-7.905, 7.905], where
     * tanh is within 3e-7 of +-1. It has no branch, so C2 vectorizes a loop of it over a float array
     * ({@link SmallKernels} stages F32 tanh through one); the approximation's error at tiny x is below 2e-7
     * relative, and NaN stays NaN. Only F32 results use it: F64 keeps {@code Math.tanh}.
     */
    static float tanhF32(float xf) {
        double x = Math.max(-7.90531110763549805, Math.min(7.90531110763549805, (double) xf));
        double x2 = x * x;
        double p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
        p = x2 * p - 8.60467152213735e-11;
        p = x2 * p + 5.12229709037114e-08;
        p = x2 * p + 1.48572235717979e-05;
        p = x2 * p + 6.37261928875436e-04;
        p = x2 * p + 4.89352455891786e-03;
        double q = x2 * 1.19825839466702e-06 + 1.18534705686654e-04;
        q = x2 * q + 2.26843463243900e-03;
        q = x2 * q + 4.89352518554385e-03;
        return (float) (x * p / q);
    }

    static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /** x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)). */
    static double geluErf(double x) {
        return 0.5 * x * (1.0 + Erf.erf(x * SQRT1_2));
    }

    /** Phi(x) + x phi(x). */
    static double geluErfGrad(double x) {
        return 0.5 * (1.0 + Erf.erf(x * SQRT1_2)) + x * (Math.exp(-0.5 * x * x) * INV_SQRT_2PI);
    }

    /** x^e with Math.pow's special cases made exact and cheap for the common exponents 0, 1 and 2. */
    static double powScalar(double x, double e) {
        return e == 2.0 ? x * x : e == 1.0 ? x : e == 0.0 ? 1.0 : Math.pow(x, e);
    }

    /** op(x; alpha) as documented on {@link UnaryOp}. */
    static double unary(UnaryOp op, double x, double alpha) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1.0 / Math.sqrt(x);
            case ABS -> Math.abs(x);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case RELU -> Math.max(x, 0.0);
            case LEAKY_RELU -> x > 0 ? x : x * alpha;
            case ELU -> x > 0 ? x : Math.expm1(x) * alpha;
            case SILU -> x / (1.0 + Math.exp(-x));
            case GELU_TANH -> 0.5 * x * (1.0 + Math.tanh((x * x * x * GELU_C + x) * SQRT_2_OVER_PI));
            case GELU_ERF -> geluErf(x);
            case SOFTPLUS -> x * alpha > SOFTPLUS_THRESHOLD ? x : Math.log1p(Math.exp(x * alpha)) / alpha;
            case POW_SCALAR -> powScalar(x, alpha);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1.0 / x;
            case SIGN, ABS_GRAD -> Math.signum(x);
            case LOG1P -> Math.log1p(x);
            case EXPM1 -> Math.expm1(x);
            case ERF -> Erf.erf(x);
            case RELU_GRAD -> x > 0 ? 1.0 : 0.0;
            case LEAKY_RELU_GRAD -> x > 0 ? 1.0 : alpha;
            case ELU_GRAD -> x > 0 ? 1.0 : Math.exp(x) * alpha;
            case SILU_GRAD -> {
                double s = sigmoid(x);
                yield s * (x * (1.0 - s) + 1.0);
            }
            case GELU_TANH_GRAD -> {
                double t = Math.tanh((x * x * x * GELU_C + x) * SQRT_2_OVER_PI);
                double du = (x * x * (3.0 * GELU_C) + 1.0) * SQRT_2_OVER_PI;
                yield (t + 1.0) * 0.5 + x * 0.5 * (1.0 - t * t) * du;
            }
            case GELU_ERF_GRAD -> geluErfGrad(x);
            case SOFTPLUS_GRAD -> x * alpha > SOFTPLUS_THRESHOLD ? 1.0 : sigmoid(x * alpha);
            case SIGMOID_GRAD_FROM_Y -> x * (1.0 - x);
            case TANH_GRAD_FROM_Y -> 1.0 - x * x;
        };
    }

    /** a op b as documented on {@link BinaryOp}. */
    static double binary(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            case GT -> a > b ? 1.0 : 0.0;
            case GE -> a >= b ? 1.0 : 0.0;
            case LT -> a < b ? 1.0 : 0.0;
            case LE -> a <= b ? 1.0 : 0.0;
            case EQ -> a == b ? 1.0 : 0.0;
            case NE -> a != b ? 1.0 : 0.0;
            case ATAN2 -> Math.atan2(a, b);
        };
    }

    /** The fused kernels' formulas; for the one-input ones b is ignored. */
    static double fused(Fused op, double p, double q, double a, double b) {
        return switch (op) {
            case AFFINE -> a * p + q;
            case CLAMP -> Math.min(Math.max(a, p), q);
            case CLAMP_MASK -> p <= a && a <= q ? 1.0 : 0.0;
            case AXPY -> b + a * p;
            case MUL_SCALED -> a * b * p;
        };
    }
}
