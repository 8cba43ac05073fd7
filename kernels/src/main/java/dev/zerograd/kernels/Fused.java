package dev.zerograd.kernels;

/** Kernels with scalar parameters p and q that share one loop per dtype; see {@link Elementwise}. */
enum Fused {
    /** a * p + q */
    AFFINE(Cost.CHEAP),
    /** min(max(a, p), q) */
    CLAMP(Cost.CHEAP),
    /** p &lt;= a &lt;= q ? 1 : 0 */
    CLAMP_MASK(Cost.CHEAP),
    /** b + a * p (b is the accumulator, written in place) */
    AXPY(Cost.CHEAP),
    /** a * b * p */
    MUL_SCALED(Cost.CHEAP),
    /** a * (1 - b * b): an upstream gradient a times tanh' written from the result b = tanh(x) */
    TANH_GRAD(Cost.CHEAP),
    /** a * (b * (1 - b)): an upstream gradient a times sigmoid' written from the result b = sigmoid(x) */
    SIGMOID_GRAD(Cost.CHEAP),
    /** a * (b &gt; 0 ? 1 : 0): an upstream gradient a times relu' at the input b (a product, so NaN in a stays NaN) */
    RELU_GRAD(Cost.CHEAP);

    final Cost cost;

    Fused(Cost cost) {
        this.cost = cost;
    }
}
