package dev.zerograd.kernels;

/**
 * How expensive one element of an elementwise op is, which sets the size above which it runs on the
 * intra-op pool (see Note [Parallel thresholds] in {@link EwTask}).
 */
enum Cost {
    /** A few vector instructions per element; memory-bound on large tensors. */
    CHEAP(32_768),
    /** A vector transcendental (exp, tanh, log) per element. */
    TRANSCENDENTAL(4_096),
    /** A scalar library call per lane (pow, erf). */
    PER_LANE(1_024);

    /** Fewest elements worth a parallel region; also the smallest chunk handed to a thread. */
    final long grain;

    Cost(long grain) {
        this.grain = grain;
    }
}
