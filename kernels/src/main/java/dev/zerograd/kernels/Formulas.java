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

    /** Where float tanh saturates: tanh(7.905) is within 3e-7 of 1 (Note [Float tanh]). */
    static final float TANH_CLAMP = 7.90531110763549805f;
    /** Below this |x|, tanh(x) rounds to x in float (x^3 / 3 is under half an ulp of x). */
    static final float TANH_TINY = 0.0004f;
    // Eigen's generic_fast_tanh_float coefficients: the odd numerator p13, the even denominator q6.
    static final float TANH_A13 = -2.76076847742355e-16f;
    static final float TANH_A11 = 2.00018790482477e-13f;
    static final float TANH_A9 = -8.60467152213735e-11f;
    static final float TANH_A7 = 5.12229709037114e-08f;
    static final float TANH_A5 = 1.48572235717979e-05f;
    static final float TANH_A3 = 6.37261928875436e-04f;
    static final float TANH_A1 = 4.89352455891786e-03f;
    static final float TANH_B6 = 1.19825839466702e-06f;
    static final float TANH_B4 = 1.18534705686654e-04f;
    static final float TANH_B2 = 2.26843463243900e-03f;
    static final float TANH_B0 = 4.89352518554385e-03f;

    /**
     * tanh(x) for float x, within 5 ulps of {@code (float) Math.tanh(x)} for every float (measured over all
     * floats in [-20, 20]; the worst cases are near |x| = 4.8, where tanh is 0.9999).
     *
     * <p>Note [Float tanh]: {@code Math.tanh} costs several times a multiply-add chain per element, and a
     * chain of small elementwise ops (tanh every fourth op in OpChain) spends much of its time there; the
     * Vector API's lanewise TANH is no faster on this JDK without a vector math library. This is the
     * odd/even rational minimax approximation p13(x) / q6(x) that Eigen uses for float tanh (its
     * {@code generic_fast_tanh_float}, as TensorFlow runs it), evaluated as Eigen does: in float with fused
     * multiply-adds, on x clamped to [-7.905, 7.905], where tanh is within 3e-7 of +-1, and returning x itself
     * below 0.0004 (where the formula's rounding would otherwise show at tiny and subnormal x). {@link VecF32}
     * runs the same operations lane by lane, and an FMA rounds once in both, so the vector loop and this
     * scalar form agree bit for bit: a tensor's tail elements get exactly what its vector body gets. NaN stays
     * NaN, +-0 keeps its sign. Only F32 results use it: F64 keeps {@code Math.tanh}.
     */
    static float tanhF32(float xf) {
        float x = Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, xf));
        float x2 = x * x;
        float p = Math.fma(x2, TANH_A13, TANH_A11);
        p = Math.fma(x2, p, TANH_A9);
        p = Math.fma(x2, p, TANH_A7);
        p = Math.fma(x2, p, TANH_A5);
        p = Math.fma(x2, p, TANH_A3);
        p = Math.fma(x2, p, TANH_A1);
        float q = Math.fma(x2, TANH_B6, TANH_B4);
        q = Math.fma(x2, q, TANH_B2);
        q = Math.fma(x2, q, TANH_B0);
        return Math.abs(xf) < TANH_TINY ? xf : x * p / q;
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
            case TANH_GRAD -> a * (1.0 - b * b);
            case SIGMOID_GRAD -> a * (b * (1.0 - b));
            case RELU_GRAD -> a * (b > 0 ? 1.0 : 0.0);
        };
    }
}
