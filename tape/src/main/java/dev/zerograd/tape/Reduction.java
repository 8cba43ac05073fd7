package dev.zerograd.tape;

/** How a loss folds its per-element (or per-sample) values into its result. */
public enum Reduction {
    /** The mean over the counted elements (for classification losses, the rows whose label is not ignored). */
    MEAN,
    /** The sum. */
    SUM,
    /** No reduction: the per-element (per-sample) losses. */
    NONE
}
