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
    MUL_SCALED(Cost.CHEAP);

    final Cost cost;

    Fused(Cost cost) {
        this.cost = cost;
    }
}
