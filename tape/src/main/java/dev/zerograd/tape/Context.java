package dev.zerograd.tape;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;

/**
 * Per-thread autograd state: the recording tape, grad mode, forward-mode depth, the arena new results go to,
 * the stack of {@link Call}s and shape scratch. Fetched once per op from a {@link ThreadLocal} (no allocation
 * after the first use on a thread).
 *
 * <p>Note [Where results live]: an op's result is allocated in the arena of the tape recording on this
 * thread; without one, in the arena set by {@link Tape#allocateIn}; otherwise in the arena that owns the
 * op's first input. Gradients are allocated like results, in the tape's arena.
 */
final class Context {
    private static final ThreadLocal<Context> CURRENT = ThreadLocal.withInitial(Context::new);

    final Thread thread = Thread.currentThread();
    GradientTape tape;          // recording tape on this thread, or null
    boolean gradEnabled = true; // false inside noGrad() and during a backward pass without create-graph
    boolean inference;          // inside inferenceMode(): nothing is recorded or differentiated
    int forwardLevel;           // > 0 inside a forward-mode scope
    TensorArena arena;          // explicit result arena (Tape.allocateIn), or null

    private final Call[] calls = new Call[32];
    int callDepth;

    // Shape scratch for forward functions; each op uses them between its checks and its allocation only.
    final long[] shapeA = new long[Tensor.MAX_RANK];
    final long[] shapeB = new long[Tensor.MAX_RANK];
    final long[] stridesA = new long[Tensor.MAX_RANK];
    final long[] expandTarget = new long[Tensor.MAX_RANK];
    final long[] reshapeTarget = new long[Tensor.MAX_RANK];
    final long[] matmulShape = new long[Tensor.MAX_RANK];
    final int[] oneDim = new int[1];
    final long[] viewShape = new long[Tensor.MAX_RANK];      // ViewOps.flatten's reshape target
    final long[] joinShape = new long[Tensor.MAX_RANK];      // JoinOps: one input's slot in the result
    final long[] joinStrides = new long[Tensor.MAX_RANK];
    final Tensor[] joinTangents = new Tensor[Call.MAX_INPUTS]; // JoinOps' forward-mode rules: the inputs' tangents
    final Tensor[] argPair = new Tensor[2];                  // ReduceOps: values and positions of max/min along a dim
    // IndexOps / LossOps scratch: index views, one-hot and embedding shapes, label columns.
    final long[] indexShape = new long[Tensor.MAX_RANK];
    final long[] indexStrides = new long[Tensor.MAX_RANK];
    // ConvOps / PoolOps / NormOps scratch: result shapes, the conv workspace's size, pooling plane views,
    // per-channel and per-row statistics shapes.
    final long[] convShape = new long[Tensor.MAX_RANK];
    final long[] convWorkspaceShape = new long[1];
    final long[] poolShape = new long[Tensor.MAX_RANK];
    final long[] poolIndexShape = new long[Tensor.MAX_RANK];
    final long[] normShape = new long[Tensor.MAX_RANK];
    final Tensor[] normPair = new Tensor[2];                 // NormOps: centered x and invstd of one rule

    // Reused tapes: GradientTape.record(...) hands these out so that a step allocates no tape object.
    final GradientTape[] tapePool = new GradientTape[4];

    final Tensor[] tapeSourceScratch = new Tensor[1];

    // Reused guards.
    final Tape.Guard noGradGuard = new Tape.Guard(this, Tape.Guard.NO_GRAD);
    final Tape.Guard enableGradGuard = new Tape.Guard(this, Tape.Guard.ENABLE_GRAD);
    final Tape.Guard inferenceGuard = new Tape.Guard(this, Tape.Guard.INFERENCE);
    final Tape.Guard forwardGuard = new Tape.Guard(this, Tape.Guard.FORWARD);
    final Tape.Guard arenaGuard = new Tape.Guard(this, Tape.Guard.ARENA);

    /**
     * The context of the thread that last asked (Note [Last context]). A plain field read by any thread:
     * {@link #thread} is final, so a thread that sees another thread's context also sees its owner and
     * falls back to the {@link ThreadLocal}.
     */
    private static Context last;

    /**
     * Note [Last context]: every op asks for its context, and a {@link ThreadLocal} lookup (a hash probe in
     * the thread's map) is a measurable part of a 64-float op; a training loop runs its ops on one thread, so
     * the last context asked for is nearly always the caller's. Only the owner reads or writes the fields of
     * its context, so a stale or foreign value of {@link #last} costs a lookup, never a wrong answer.
     */
    static Context get() {
        Context c = last;
        if (c != null && c.thread == Thread.currentThread()) {
            return c;
        }
        c = CURRENT.get();
        last = c;
        return c;
    }

    /** The tape ops should record on now, or null. */
    GradientTape recordingTape() {
        return gradEnabled && !inference ? tape : null;
    }

    /** True inside a forward-mode scope (and not in inference mode). */
    boolean forwardActive() {
        return forwardLevel > 0 && !inference;
    }

    /** True when an op on {@code a} must be recorded or carry a tangent. */
    boolean tracks(Tensor a) {
        return (a.needsGrad() && recordingTape() != null) || (forwardActive() && a.tangent() != null);
    }

    /** True when an op on {@code a} and {@code b} must be recorded or carry a tangent. */
    boolean tracks(Tensor a, Tensor b) {
        return ((a.needsGrad() || b.needsGrad()) && recordingTape() != null)
                || (forwardActive() && (a.tangent() != null || b.tangent() != null));
    }

    /** True when an op on {@code a}, {@code b} and {@code c} must be recorded or carry a tangent. */
    boolean tracks(Tensor a, Tensor b, Tensor c) {
        return ((a.needsGrad() || b.needsGrad() || c.needsGrad()) && recordingTape() != null)
                || (forwardActive() && (a.tangent() != null || b.tangent() != null || c.tangent() != null));
    }

    /** The call builder for an op starting now. */
    Call begin(Op op) {
        Call c = calls[callDepth];
        if (c == null) {
            if (callDepth >= calls.length - 1) {
                throw new IllegalStateException(op.name() + ": forward-mode rules nested deeper than " + (calls.length - 1));
            }
            c = calls[callDepth] = new Call(this);
        }
        return c.begin(op);
    }

    /**
     * Records an elementwise op of one or two inputs ({@code b} null for one) whose rules read only real
     * attribute 0: straight onto the tape when no forward-mode scope is active (Note [Quick records] in
     * {@link GradientTape}), through a {@link Call} otherwise. Call only when {@link #tracks} said so.
     */
    void record(Op op, Tensor a, Tensor b, double scalar, Tensor out) {
        GradientTape t = recordingTape();
        if (t != null && forwardLevel == 0 && callDepth == 0) {
            t.appendQuick(op, a, b, scalar, out);
            return;
        }
        Call call = begin(op).in(a);
        if (b != null) {
            call.in(b);
        }
        call.scalar(0, scalar).commit(out);
    }

    /** The arena results of an op with first input {@code first} go to (Note [Where results live]). */
    TensorArena resultArena(Tensor first) {
        if (tape != null) {
            return tape.arena();
        }
        if (arena != null) {
            return arena;
        }
        return first.arena();
    }

    /** A fresh contiguous result of the first {@code rank} sizes of {@code shape}. */
    Tensor result(Tensor first, DType dtype, long[] shape, int rank) {
        return resultArena(first).empty(dtype, shape, rank);
    }

    /** A fresh contiguous result shaped and typed like {@code like}. */
    Tensor resultLike(Tensor like) {
        return resultArena(like).emptyLike(like);
    }
}
