package dev.zerograd.tape;

import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;

/**
 * Records differentiable ops while open and computes gradients by one reverse pass over the records.
 *
 * <pre>{@code
 * try (GradientTape tape = GradientTape.record(step)) {
 *     Tensor loss = Ops.crossEntropy(Ops.matmul(x, w), labels);
 *     tape.backward(loss);            // accumulates into w.grad()
 * }
 * }</pre>
 *
 * <p>Note [Records]: a record is a row of preallocated parallel arrays: the op, its result, a range of
 * the shared input and saved-tensor pools, {@value #ATTRS} integer and {@value #SCALARS} real attributes and an
 * optional payload. Nothing is allocated per record, so a steady-state step allocates nothing. Records are
 * appended in execution order, which is a topological order, so backward is a single reverse loop. The
 * buffer has a fixed capacity chosen at creation; every recording starts again at record 0 (the buffer is
 * reused like a ring, never grown in steady state), and exceeding it throws with the capacity and how to
 * raise it.
 *
 * <p>Note [Quick records]: the elementwise ops (binary arithmetic and the unary functions) record with
 * {@link #appendQuick} when no forward-mode scope is active: the same checks and the same row as
 * {@link Call#commit} would write, without collecting the call first and copying its attribute arrays. Their
 * rules read only their inputs, result and real attribute 0. On a chain of 64-float ops this took recording
 * from about 28 to 12 ns per op (thread CPU time, forward with recording minus forward without).
 *
 * <p>Note [Tape reuse]: {@link #record(TensorArena)} hands out a per-thread tape object that is reused once
 * closed, so opening a tape each step allocates nothing. Only one tape records on a thread at a time; for
 * gradients of gradients use {@link #persistent} and {@code gradient(..., createGraph = true)}, which records
 * the backward pass onto the same tape.
 *
 * <p>Note [Gradient buffers]: each record's result has one gradient slot; the first contribution is stored
 * as is (it may alias another slot's tensor, e.g. both inputs of an add), and the second replaces it with a
 * fresh sum that the slot then owns and may accumulate into in place. In create-graph mode accumulation is
 * always out of place, recorded like any other op. Leaves accumulate into {@link Tensor#grad()} (allocated
 * once in the leaf's own arena) for {@link #backward}, or into per-call slots for {@link #gradient}. Under
 * forward mode, contributions that carry tangents are summed out of place with the op, so the gradients'
 * tangents are the Hessian-vector products of forward-over-reverse.
 *
 * <p>Note [Direct leaf accumulation]: in a first-order {@link #backward} (no create-graph, no forward mode, no
 * anomaly checks) a rule whose kernel can compute {@code buffer = beta * buffer + contribution} (GEMM with
 * beta) may ask {@link Grads#direct} for a leaf's gradient buffer and write its contribution straight into it,
 * instead of handing over a fresh tensor that is then added in a second pass. For a weight of a wide layer
 * that saves a weight-sized temporary, OpenBLAS's zero fill of it and the add's read-read-write pass.
 *
 * <p>A tape is confined to the thread that opened it.
 */
public final class GradientTape implements AutoCloseable {
    static final int ATTRS = 8;
    static final int SCALARS = 4;
    /** Default number of records, overridable with {@code -Dzerograd.tape.capacity=N}. */
    public static final int DEFAULT_CAPACITY = Integer.getInteger("zerograd.tape.capacity", 1 << 16);

    private final Context ctx;
    private final int capacity;
    private final Op[] ops;
    private final Tensor[] results;
    private final int[] inStart;
    private final int[] inCount;
    private final int[] savedStart;
    private final byte[] savedCount;
    private final long[] attrs;
    private final double[] scalars;
    private final Object[] payloads;
    private final Tensor[] inputPool;
    private final Tensor[] savedPool;

    // backward state
    private final Tensor[] grads;
    private final boolean[] gradOwned;
    private final Tensor[] sourceGrads = new Tensor[Call.MAX_INPUTS];
    private Tensor[] sources;
    private int sourceCount;
    private boolean toLeafGrad;
    private boolean createGraph;
    private double directBeta = 1;
    private final TapeNode node = new TapeNode();
    private final Grads sink = new Grads(this);

    private TensorArena arena;
    private int count;
    private int inputTop;
    private int savedTop;
    private boolean open;
    private boolean persistent;
    private boolean consumed;
    private boolean anomaly;
    private GradientTape previous; // the tape this one displaced on the thread (restored on close)

    private GradientTape(Context ctx, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("GradientTape: capacity must be positive, got " + capacity);
        }
        this.ctx = ctx;
        this.capacity = capacity;
        ops = new Op[capacity];
        results = new Tensor[capacity];
        inStart = new int[capacity];
        inCount = new int[capacity];
        savedStart = new int[capacity];
        savedCount = new byte[capacity];
        attrs = new long[capacity * ATTRS];
        scalars = new double[capacity * SCALARS];
        payloads = new Object[capacity];
        inputPool = new Tensor[capacity * 3];
        savedPool = new Tensor[capacity * 2];
        grads = new Tensor[capacity];
        gradOwned = new boolean[capacity];
    }

    // ---------------------------------------------------------------- opening and closing

    /** Opens a tape that records ops on this thread, with results and gradients allocated in {@code arena}. */
    public static GradientTape record(TensorArena arena) {
        return open(arena, DEFAULT_CAPACITY, false);
    }

    /** Like {@link #record(TensorArena)} with room for {@code capacity} records. */
    public static GradientTape record(TensorArena arena, int capacity) {
        return open(arena, capacity, false);
    }

    /** A tape whose gradients may be taken more than once (and with create-graph, differentiated again). */
    public static GradientTape persistent(TensorArena arena) {
        return open(arena, DEFAULT_CAPACITY, true);
    }

    /** Like {@link #persistent(TensorArena)} with room for {@code capacity} records. */
    public static GradientTape persistent(TensorArena arena, int capacity) {
        return open(arena, capacity, true);
    }

    private static GradientTape open(TensorArena arena, int capacity, boolean persistent) {
        if (arena == null) {
            throw new IllegalArgumentException("GradientTape.record: arena is null; pass the arena results and gradients go to");
        }
        if (arena.isClosed()) {
            throw new IllegalStateException("GradientTape.record: arena '" + arena.name() + "' is closed");
        }
        Context ctx = Context.get();
        if (ctx.tape != null) {
            throw new IllegalStateException("GradientTape.record: a tape is already recording on thread '"
                    + ctx.thread.getName() + "' (capacity " + ctx.tape.capacity + ", " + ctx.tape.count + " records);"
                    + " close it first, or use one persistent tape with gradient(..., createGraph = true) for higher order");
        }
        GradientTape t = null;
        for (GradientTape cached : ctx.tapePool) {
            if (cached != null && !cached.open && cached.capacity == capacity) {
                t = cached;
                break;
            }
        }
        if (t == null) {
            t = new GradientTape(ctx, capacity);
            for (int i = 0; i < ctx.tapePool.length; i++) {
                if (ctx.tapePool[i] == null || !ctx.tapePool[i].open) {
                    ctx.tapePool[i] = t;
                    break;
                }
            }
        }
        t.start(arena, persistent);
        return t;
    }

    private void start(TensorArena arena, boolean persistent) {
        this.arena = arena;
        this.persistent = persistent;
        this.count = 0;
        this.inputTop = 0;
        this.savedTop = 0;
        this.consumed = false;
        this.open = true;
        this.anomaly = Tape.anomalyDefault();
        this.previous = ctx.tape;
        ctx.tape = this;
    }

    /** Stops recording. Results and gradients stay valid until their arena is reset. */
    @Override
    public void close() {
        checkThread("close");
        if (!open) {
            return;
        }
        open = false;
        ctx.tape = previous;
        previous = null; // the gradient slots are already null: run() clears them when it ends
    }

    /** The arena results and gradients are allocated in. */
    public TensorArena arena() {
        return arena;
    }

    /** Number of records so far. */
    public int size() {
        return count;
    }

    /** Maximum number of records. */
    public int capacity() {
        return capacity;
    }

    public boolean isPersistent() {
        return persistent;
    }

    public boolean isOpen() {
        return open;
    }

    /**
     * Anomaly mode: every gradient produced during backward is checked for NaN and infinity, and the first one
     * found throws naming the op and its record index. Defaults to {@code -Dzerograd.anomaly=true} or
     * {@link Tape#setAnomalyDefault}.
     */
    public GradientTape anomalyMode(boolean on) {
        this.anomaly = on;
        return this;
    }

    public boolean anomalyMode() {
        return anomaly;
    }

    /** The name of the op of record {@code i}, for reports and tests. */
    public String opName(int i) {
        checkIndex(i);
        return ops[i].name();
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("record " + i + " is outside [0, " + count + ")");
        }
    }

    private void checkThread(String what) {
        if (Thread.currentThread() != ctx.thread) {
            throw new IllegalStateException("GradientTape." + what + ": this tape is confined to thread '" + ctx.thread.getName()
                    + "' and was used from thread '" + Thread.currentThread().getName() + "'");
        }
    }

    // ---------------------------------------------------------------- recording

    /** Appends the call in flight as a record and marks its result as produced by it. */
    void append(Call c) {
        if (count == capacity || inputTop + c.inputCount > inputPool.length || savedTop + c.savedCount > savedPool.length) {
            throw capacityExceeded(c.op);
        }
        for (int i = 0; i < c.inputCount; i++) {
            Tensor in = c.inputs[i];
            checkInput(c.op, i, in);
            inputPool[inputTop + i] = in;
        }
        int r = count++;
        ops[r] = c.op;
        results[r] = c.result;
        inStart[r] = inputTop;
        inCount[r] = c.inputCount;
        inputTop += c.inputCount;
        savedStart[r] = savedTop;
        savedCount[r] = (byte) c.savedCount;
        for (int i = 0; i < c.savedCount; i++) {
            savedPool[savedTop + i] = c.saved[i];
        }
        savedTop += c.savedCount;
        System.arraycopy(c.attrs, 0, attrs, r * ATTRS, ATTRS);
        System.arraycopy(c.scalars, 0, scalars, r * SCALARS, SCALARS);
        payloads[r] = c.payload;
        grads[r] = null;
        gradOwned[r] = false;
        Tensor out = c.result;
        out.requiresGrad(true);
        out.setAutograd(this, r);
    }

    /**
     * Appends a record of one or two inputs ({@code b} null for one), no saved tensors and real attribute 0
     * {@code scalar}: the elementwise ops' records, written straight from their forward functions without a
     * {@link Call} (Note [Quick records]).
     */
    void appendQuick(Op op, Tensor a, Tensor b, double scalar, Tensor out) {
        int n = b == null ? 1 : 2;
        if (count == capacity || inputTop + n > inputPool.length) {
            throw capacityExceeded(op);
        }
        checkInput(op, 0, a);
        inputPool[inputTop] = a;
        if (b != null) {
            checkInput(op, 1, b);
            inputPool[inputTop + 1] = b;
        }
        int r = count++;
        ops[r] = op;
        results[r] = out;
        inStart[r] = inputTop;
        inCount[r] = n;
        inputTop += n;
        savedStart[r] = savedTop;
        savedCount[r] = 0;
        scalars[r * SCALARS] = scalar;
        payloads[r] = null;
        grads[r] = null;
        gradOwned[r] = false;
        out.requiresGrad(true);
        out.setAutograd(this, r);
    }

    private IllegalStateException capacityExceeded(Op op) {
        return new IllegalStateException("GradientTape: capacity exceeded recording '" + op.name() + "': " + capacity
                + " records (" + count + " used, " + inputTop + "/" + inputPool.length + " input slots); open the tape with"
                + " GradientTape.record(arena, capacity) or set -Dzerograd.tape.capacity to a larger value");
    }

    /** Rejects an input recorded by another thread's tape, or by an earlier recording of this one. */
    private void checkInput(Op op, int i, Tensor in) {
        Object owner = in.autogradOwner();
        if (owner == this) {
            if (in.autogradSlot() >= 0 && !producedHere(in)) {
                throw new IllegalStateException(op.name() + ": input " + i + " (" + in.describe() + ") was produced by an"
                        + " earlier recording of this tape, whose graph is gone; detach() it or recompute it");
            }
        } else if (owner != null && in.autogradSlot() >= 0 && owner instanceof GradientTape other && other.open && other.ctx != ctx) {
            throw new IllegalStateException(op.name() + ": input " + i + " (" + in.describe() + ") was recorded by a tape"
                    + " confined to thread '" + other.ctx.thread.getName() + "'; tapes cannot be shared across threads");
        }
    }

    /** True when {@code t} is the result of a record of the current recording. */
    private boolean producedHere(Tensor t) {
        int s = t.autogradSlot();
        return t.autogradOwner() == this && s >= 0 && s < count && results[s] == t;
    }

    // ---------------------------------------------------------------- backward

    /**
     * Accumulates d(loss)/d(leaf) into {@link Tensor#grad()} of every leaf that requires a gradient.
     * {@code loss} must hold one element; use {@link #backward(Tensor, Tensor)} with a seed otherwise.
     */
    public void backward(Tensor loss) {
        backward(loss, null);
    }

    /** Accumulates the vector-Jacobian product {@code seed^T d(target)/d(leaf)} into every leaf's grad. */
    public void backward(Tensor target, Tensor seed) {
        run("backward", target, seed, null, 0, false, true);
    }

    /** d(target)/d(source) for a one-element target, without touching {@link Tensor#grad()}. */
    public Tensor gradient(Tensor target, Tensor source) {
        return gradient(target, source, false);
    }

    /** Gradients of a one-element target with respect to each source (allocates the result array). */
    public Tensor[] gradient(Tensor target, Tensor... sources) {
        Tensor[] out = new Tensor[sources.length];
        gradient(target, null, sources, out, false);
        return out;
    }

    /**
     * The general form: {@code out[i] = seed^T d(target)/d(sources[i])} (seed null means ones for a one-element
     * target). With {@code createGraph} the backward pass is itself recorded, so the results can be
     * differentiated again (the tape must be persistent to take gradients twice). Allocation-free.
     */
    public void gradient(Tensor target, Tensor seed, Tensor[] sources, Tensor[] out, boolean createGraph) {
        if (out.length < sources.length) {
            throw new IllegalArgumentException("gradient: out has room for " + out.length + " gradients, " + sources.length + " sources given");
        }
        run("gradient", target, seed, sources, sources.length, createGraph, false);
        System.arraycopy(sourceGrads, 0, out, 0, sources.length);
    }

    /** Like {@link #gradient(Tensor, Tensor, Tensor[], Tensor[], boolean)} for one source. */
    public Tensor gradient(Tensor target, Tensor source, boolean createGraph) {
        Tensor[] one = ctx.tapeSourceScratch;
        one[0] = source;
        run("gradient", target, null, one, 1, createGraph, false);
        one[0] = null;
        return sourceGrads[0];
    }

    /** Sets the gradient of every given leaf to zero (in place; keeps the buffers). */
    public static void zeroGrad(Tensor... leaves) {
        for (Tensor t : leaves) {
            Tensor g = t.grad();
            if (g != null) {
                g.fill(0);
            }
        }
    }

    private void run(String what, Tensor target, Tensor seed, Tensor[] srcs, int nSources, boolean createGraph, boolean toLeafGrad) {
        checkThread(what);
        if (consumed) {
            throw new IllegalStateException(what + ": this tape's gradients were already computed once; open it with"
                    + " GradientTape.persistent(arena) to take gradients more than once");
        }
        if (createGraph && !open) {
            throw new IllegalStateException(what + ": createGraph needs the tape to still be open (it records the backward pass)");
        }
        target.checkValid();
        if (!producedHere(target)) {
            throw new IllegalArgumentException(what + ": target " + target.describe() + (target.needsGrad()
                    ? " was not recorded by this tape" : " does not require a gradient (no input of the ops that made it requires one)"));
        }
        if (seed == null) {
            if (target.numel() != 1) {
                throw new IllegalArgumentException(what + ": target " + target.describe() + " has " + target.numel()
                        + " elements; pass a seed gradient of the same shape for a non-scalar target");
            }
        } else {
            seed.checkValid();
            Checks.sameShapeAndDtype(what + " (seed)", target, seed);
        }
        for (int i = 0; i < nSources; i++) {
            Tensor s = srcs[i];
            s.checkValid();
            if (!s.needsGrad()) {
                throw new IllegalArgumentException(what + ": source " + i + " " + s.describe()
                        + " does not require a gradient; call requiresGrad() on it before recording");
            }
            sourceGrads[i] = null;
        }
        this.sources = srcs;
        this.sourceCount = nSources;
        this.toLeafGrad = toLeafGrad;
        this.createGraph = createGraph;

        int top = target.autogradSlot();
        int end = count; // every slot below is null and unowned here: appends clear them, and so does the finally below
        boolean savedGradMode = ctx.gradEnabled;
        ctx.gradEnabled = createGraph;
        try {
            grads[top] = seed != null ? seed : ones(target);
            for (int r = top; r >= 0; r--) {
                Tensor g = grads[r];
                if (g == null) {
                    continue;
                }
                node.record = r;
                sink.record = r;
                ops[r].vjp(node, g, sink);
            }
            // Sources that are intermediates take their slot's final value.
            for (int i = 0; i < nSources; i++) {
                Tensor s = srcs[i];
                if (producedHere(s)) {
                    sourceGrads[i] = grads[s.autogradSlot()];
                }
                if (sourceGrads[i] == null) {
                    sourceGrads[i] = zerosLike(s); // no path from target: the gradient is exactly zero
                }
            }
        } finally {
            ctx.gradEnabled = savedGradMode;
            this.sources = null;
            for (int i = 0; i < end; i++) {
                grads[i] = null;
                gradOwned[i] = false;
            }
        }
        if (!persistent) {
            consumed = true;
        }
    }

    private Tensor ones(Tensor like) {
        Tensor t = arena.emptyLike(like);
        t.fill(1);
        return t;
    }

    private Tensor zerosLike(Tensor like) {
        Tensor t = arena.emptyLike(like);
        t.fill(0);
        return t;
    }

    /** Validates and accumulates one gradient produced by record {@code r}'s rule for its input {@code i}. */
    void accumulate(int r, int i, Tensor grad, boolean reduce) {
        if (i < 0 || i >= inCount[r]) {
            throw noSuchInput(r, i);
        }
        Tensor x = inputPool[inStart[r] + i];
        if (!x.needsGrad()) {
            return;
        }
        // The commonest case first, small enough to be inlined into the rules (Note [Inlining budget]): a
        // first contribution of the input's shape to an intermediate, stored as is.
        if (!anomaly && x.sameShape(grad) && x.dtype() == grad.dtype() && producedHere(x)) {
            int s = x.autogradSlot();
            if (grads[s] == null) {
                grads[s] = grad;
                return;
            }
        }
        accumulateSlow(r, i, x, grad, reduce);
    }

    private IllegalStateException noSuchInput(int r, int i) {
        return new IllegalStateException(ops[r].name() + " (record " + r + "): gradient for input " + i + ", but the op has "
                + inCount[r] + " inputs");
    }

    /** {@link #accumulate} past its common case: reduction, checks, sums, leaves and sources. */
    private void accumulateSlow(int r, int i, Tensor x, Tensor grad, boolean reduce) {
        boolean same = x.sameShape(grad);
        if (reduce && !same) {
            grad = Ops.sumTo(grad, x);
            same = x.sameShape(grad);
        }
        if (!same || x.dtype() != grad.dtype()) {
            throw new IllegalStateException(ops[r].name() + " (record " + r + "): the gradient for input " + i + " has shape "
                    + grad.describe() + ", expected " + x.describe() + " (the input's shape and dtype)");
        }
        if (anomaly && Checks.hasNonFinite(grad)) {
            throw new ArithmeticException("anomaly: the backward of '" + ops[r].name() + "' (record " + r + " of " + count
                    + ") produced NaN or infinity in the gradient for its input " + i + " " + x.describe());
        }
        if (producedHere(x)) {
            int s = x.autogradSlot();
            grads[s] = sum(grads[s], grad, s);
            return;
        }
        // A leaf (or a tensor made outside this tape that requires a gradient).
        if (toLeafGrad) {
            Tensor acc = x.grad();
            if (createGraph) {
                x.setGrad(acc == null ? grad : Ops.add(acc, grad));
            } else if (acc == null) {
                acc = newLeafGrad(x);
                Checks.copy(grad, acc);
                x.setGrad(acc);
            } else {
                Checks.addInPlace(acc, grad);
            }
            return;
        }
        for (int k = 0; k < sourceCount; k++) {
            if (sources[k] == x) {
                Tensor prev = sourceGrads[k];
                sourceGrads[k] = prev == null ? grad : (sumAsOp(prev, grad) ? Ops.add(prev, grad) : addFresh(prev, grad));
            }
        }
    }

    /**
     * Input {@code i}'s gradient buffer for a rule to accumulate into (Note [Direct leaf accumulation]), or null
     * when the contribution must go through {@link #accumulate}. Allocates the buffer (once, in the leaf's
     * arena) when the leaf has none; {@link #directBeta} then says 0, since the new buffer's contents are
     * undefined.
     */
    Tensor direct(int r, int i) {
        directBeta = 1;
        if (!toLeafGrad || createGraph || anomaly || ctx.forwardActive() || i < 0 || i >= inCount[r]) {
            return null;
        }
        Tensor x = inputPool[inStart[r] + i];
        if (!x.needsGrad() || producedHere(x)) {
            return null;
        }
        Tensor acc = x.grad();
        if (acc == null) {
            acc = newLeafGrad(x);
            x.setGrad(acc);
            directBeta = 0;
        }
        return acc.isContiguous() && acc.dtype() == x.dtype() && acc.sameShape(x) ? acc : null;
    }

    /**
     * A gradient buffer for a leaf that has none, its contents undefined: the one {@link Tensor#releaseGrad()}
     * kept (Note [Released gradients] in Tensor), else a new one in the leaf's arena.
     */
    private static Tensor newLeafGrad(Tensor x) {
        Tensor spare = x.takeSpareGrad();
        return spare != null ? spare : x.arena().emptyLike(x);
    }

    /** 0 when the buffer {@link #direct} last returned is new, 1 when it holds earlier contributions. */
    double directBeta() {
        return directBeta;
    }

    /** Adds a contribution to record slot {@code s} (Note [Gradient buffers]). */
    private Tensor sum(Tensor acc, Tensor grad, int s) {
        if (acc == null) {
            return grad;
        }
        if (sumAsOp(acc, grad)) {
            return Ops.add(acc, grad);
        }
        if (gradOwned[s]) {
            Checks.addInPlace(acc, grad);
            return acc;
        }
        gradOwned[s] = true;
        return addFresh(acc, grad);
    }

    /**
     * True when two contributions must be summed with the op API rather than a raw kernel: in create-graph
     * mode (the sum is recorded) and under forward mode when either carries a tangent (the sum's tangent is
     * the tangent of the gradient, as forward-over-reverse needs).
     */
    private boolean sumAsOp(Tensor a, Tensor b) {
        return createGraph || (ctx.forwardActive() && (a.tangent() != null || b.tangent() != null));
    }

    private Tensor addFresh(Tensor a, Tensor b) {
        Tensor out = arena.emptyLike(a);
        Checks.add(a, b, out);
        return out;
    }

    /** The record currently visited by the backward loop, as its rule sees it. */
    private final class TapeNode extends Node {
        int record;

        @Override public Op op() { return ops[record]; }
        @Override public int inputCount() { return inCount[record]; }
        @Override public Tensor input(int i) { return inputPool[inStart[record] + i]; }
        @Override public boolean needsGrad(int i) { return inputPool[inStart[record] + i].needsGrad(); }
        @Override public Tensor result() { return results[record]; }
        @Override public Tensor saved(int i) { return savedPool[savedStart[record] + i]; }
        @Override public long attr(int i) { return attrs[record * ATTRS + i]; }
        @Override public double scalar(int i) { return scalars[record * SCALARS + i]; }
        @Override public Object payload() { return payloads[record]; }
    }

    @Override
    public String toString() {
        return "GradientTape(" + count + "/" + capacity + " records, " + (open ? "open" : "closed")
                + (persistent ? ", persistent" : "") + ", arena '" + (arena == null ? "-" : arena.name()) + "')";
    }
}
