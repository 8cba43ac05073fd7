package dev.zerograd.tape;

import dev.zerograd.memory.TensorArena;

/**
 * Thread-wide autograd modes, each a try-with-resources guard that restores the previous mode on close.
 * Guards are preallocated per thread: entering one allocates nothing.
 *
 * <pre>{@code
 * try (Tape.Guard g = Tape.noGrad()) {
 *     Tensor y = Ops.matmul(x, w);   // computed, not recorded
 * }
 * }</pre>
 */
public final class Tape {
    private Tape() {}

    private static volatile boolean anomalyDefault = Boolean.getBoolean("zerograd.anomaly");

    /** Ops inside the guard are computed but not recorded; results do not require gradients. */
    public static Guard noGrad() {
        return Context.get().noGradGuard.enter();
    }

    /** Re-enables recording inside a {@link #noGrad()} region. */
    public static Guard enableGrad() {
        return Context.get().enableGradGuard.enter();
    }

    /**
     * Inference mode: like {@link #noGrad()} and additionally no forward-mode tangents are propagated and
     * nothing is saved for backward.
     */
    public static Guard inferenceMode() {
        return Context.get().inferenceGuard.enter();
    }

    /** Results of ops without a recording tape are allocated in {@code arena} inside the guard. */
    public static Guard allocateIn(TensorArena arena) {
        Guard g = Context.get().arenaGuard;
        g.arena = arena;
        return g.enter();
    }

    /** True when ops on this thread would be recorded by an open tape now. */
    public static boolean isRecording() {
        return Context.get().recordingTape() != null;
    }

    /** True unless inside {@link #noGrad()} or {@link #inferenceMode()}. */
    public static boolean isGradEnabled() {
        Context c = Context.get();
        return c.gradEnabled && !c.inference;
    }

    /** Default anomaly mode for tapes opened from now on (see {@link GradientTape#anomalyMode(boolean)}). */
    public static void setAnomalyDefault(boolean on) {
        anomalyDefault = on;
    }

    static boolean anomalyDefault() {
        return anomalyDefault;
    }

    /** A mode switch; close restores what was in force when it was entered. Guards nest. */
    public static final class Guard implements AutoCloseable {
        static final int NO_GRAD = 0;
        static final int ENABLE_GRAD = 1;
        static final int INFERENCE = 2;
        static final int FORWARD = 3;
        static final int ARENA = 4;

        private final Context ctx;
        private final int kind;
        // Saved state of each nesting level (guards of one kind nest up to MAX_DEPTH deep).
        private static final int MAX_DEPTH = 64;
        private final boolean[] savedFlag = new boolean[MAX_DEPTH];
        private final TensorArena[] savedArena = new TensorArena[MAX_DEPTH];
        private int depth;
        TensorArena arena;

        Guard(Context ctx, int kind) {
            this.ctx = ctx;
            this.kind = kind;
        }

        Guard enter() {
            if (Thread.currentThread() != ctx.thread) {
                throw new IllegalStateException("Tape guard used from thread '" + Thread.currentThread().getName()
                        + "' but made for thread '" + ctx.thread.getName() + "'");
            }
            if (depth == MAX_DEPTH) {
                throw new IllegalStateException("Tape guards nested more than " + MAX_DEPTH + " deep; close them with try-with-resources");
            }
            switch (kind) {
                case NO_GRAD -> { savedFlag[depth] = ctx.gradEnabled; ctx.gradEnabled = false; }
                case ENABLE_GRAD -> { savedFlag[depth] = ctx.gradEnabled; ctx.gradEnabled = true; }
                case INFERENCE -> { savedFlag[depth] = ctx.inference; ctx.inference = true; }
                case FORWARD -> ctx.forwardLevel++;
                default -> { savedArena[depth] = ctx.arena; ctx.arena = arena; }
            }
            depth++;
            return this;
        }

        @Override
        public void close() {
            if (depth == 0) {
                return;
            }
            depth--;
            switch (kind) {
                case NO_GRAD, ENABLE_GRAD -> ctx.gradEnabled = savedFlag[depth];
                case INFERENCE -> ctx.inference = savedFlag[depth];
                case FORWARD -> ctx.forwardLevel--;
                default -> { ctx.arena = savedArena[depth]; savedArena[depth] = null; }
            }
        }
    }
}
