package dev.zerograd.bench;

/** Arena sizes the command-line jobs use unless told otherwise. */
final class Defaults {
    private Defaults() {}

    /** Model parameters, gradients and optimizer state. */
    static final long PARAMS_ARENA_BYTES = 64L << 20;
    /** Activations, gradients and temporaries of one training step, reset every step. */
    static final long STEP_ARENA_BYTES = 512L << 20;
}
