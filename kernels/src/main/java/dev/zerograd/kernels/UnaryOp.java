package dev.zerograd.kernels;

/**
 * Elementwise functions of one tensor, computed by {@link Elementwise#unary}. {@code alpha} is the scalar
 * parameter passed to that call; ops that do not mention it ignore it. The {@code *_GRAD} ops are the
 * derivatives {@code f'(x)} of the forward ops, evaluated from the forward input {@code x} (or, where the
 * name says {@code FROM_Y}, from the forward output {@code y}), so that a backward rule is one multiply.
 */
public enum UnaryOp {
    /** -x */
    NEG(Cost.CHEAP),
    /** e^x */
    EXP(Cost.TRANSCENDENTAL),
    /** ln x (NaN below 0, -inf at 0) */
    LOG(Cost.TRANSCENDENTAL),
    /** sqrt(x) */
    SQRT(Cost.CHEAP),
    /** 1 / sqrt(x) */
    RSQRT(Cost.CHEAP),
    /** |x| */
    ABS(Cost.CHEAP),
    /** sin x */
    SIN(Cost.TRANSCENDENTAL),
    /** cos x */
    COS(Cost.TRANSCENDENTAL),
    /** tanh x */
    TANH(Cost.TRANSCENDENTAL),
    /** 1 / (1 + e^-x) */
    SIGMOID(Cost.TRANSCENDENTAL),
    /** max(x, 0); NaN stays NaN */
    RELU(Cost.CHEAP),
    /** x > 0 ? x : alpha * x */
    LEAKY_RELU(Cost.CHEAP),
    /** x > 0 ? x : alpha * (e^x - 1) */
    ELU(Cost.TRANSCENDENTAL),
    /** x * sigmoid(x) */
    SILU(Cost.TRANSCENDENTAL),
    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
    GELU_TANH(Cost.TRANSCENDENTAL),
    /** 0.5 x (1 + erf(x / sqrt 2)) = x Phi(x) */
    GELU_ERF(Cost.PER_LANE),
    /** log(1 + e^(beta x)) / beta with beta = alpha &gt; 0; x itself where beta x &gt; 20 */
    SOFTPLUS(Cost.TRANSCENDENTAL),
    /** x^alpha (Math.pow semantics) */
    POW_SCALAR(Cost.PER_LANE),
    /** x * x */
    SQUARE(Cost.CHEAP),
    /** 1 / x */
    RECIPROCAL(Cost.CHEAP),
    /** -1, 0 or 1 by the sign of x; -0, +0 and NaN map to themselves (Math.signum) */
    SIGN(Cost.CHEAP),
    /** ln(1 + x), accurate near 0 */
    LOG1P(Cost.TRANSCENDENTAL),
    /** e^x - 1, accurate near 0 */
    EXPM1(Cost.TRANSCENDENTAL),
    /** the error function 2/sqrt(pi) * integral_0^x e^(-t^2) dt */
    ERF(Cost.PER_LANE),

    /** x > 0 ? 1 : 0 */
    RELU_GRAD(Cost.CHEAP),
    /** x > 0 ? 1 : alpha */
    LEAKY_RELU_GRAD(Cost.CHEAP),
    /** x > 0 ? 1 : alpha * e^x */
    ELU_GRAD(Cost.TRANSCENDENTAL),
    /** d/dx x sigmoid(x) = s (1 + x (1 - s)) with s = sigmoid(x) */
    SILU_GRAD(Cost.TRANSCENDENTAL),
    /** d/dx GELU_TANH = 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2), t = tanh(k (x + c x^3)), k = sqrt(2/pi), c = 0.044715 */
    GELU_TANH_GRAD(Cost.TRANSCENDENTAL),
    /** d/dx GELU_ERF = Phi(x) + x phi(x) = 0.5 (1 + erf(x / sqrt 2)) + x e^(-x^2/2) / sqrt(2 pi) */
    GELU_ERF_GRAD(Cost.PER_LANE),
    /** d/dx SOFTPLUS = sigmoid(beta x), and exactly 1 where beta x &gt; 20 (beta = alpha) */
    SOFTPLUS_GRAD(Cost.TRANSCENDENTAL),
    /** y (1 - y): the sigmoid derivative from its output y */
    SIGMOID_GRAD_FROM_Y(Cost.CHEAP),
    /** 1 - y^2: the tanh derivative from its output y */
    TANH_GRAD_FROM_Y(Cost.CHEAP),
    /** sign(x), 0 at 0 (the subgradient of |x| PyTorch uses) */
    ABS_GRAD(Cost.CHEAP);

    final Cost cost;

    UnaryOp(Cost cost) {
        this.cost = cost;
    }
}
