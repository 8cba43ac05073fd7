package dev.zerograd.kernels;

/**
 * Elementwise functions of two broadcast tensors, computed by {@link Elementwise#binary}. Comparisons give
 * 1 or 0 in the output dtype and follow IEEE 754: every comparison with NaN is false except {@link #NE}.
 */
public enum BinaryOp {
    /** a + b */
    ADD(Cost.CHEAP),
    /** a - b */
    SUB(Cost.CHEAP),
    /** a * b */
    MUL(Cost.CHEAP),
    /** a / b */
    DIV(Cost.CHEAP),
    /** a^b (Math.pow semantics) */
    POW(Cost.PER_LANE),
    /** max(a, b); NaN if either is NaN (Math.max) */
    MAXIMUM(Cost.CHEAP),
    /** min(a, b); NaN if either is NaN (Math.min) */
    MINIMUM(Cost.CHEAP),
    /** a &gt; b */
    GT(Cost.CHEAP),
    /** a &gt;= b */
    GE(Cost.CHEAP),
    /** a &lt; b */
    LT(Cost.CHEAP),
    /** a &lt;= b */
    LE(Cost.CHEAP),
    /** a == b */
    EQ(Cost.CHEAP),
    /** a != b (true when either is NaN) */
    NE(Cost.CHEAP),
    /** atan2(a, b): the angle of the point (b, a), in [-pi, pi] */
    ATAN2(Cost.TRANSCENDENTAL);

    final Cost cost;

    BinaryOp(Cost cost) {
        this.cost = cost;
    }
}
