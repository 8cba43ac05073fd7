package dev.zerograd.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A bump allocator over one off-heap slab that owns both the bytes of its tensors and their {@link Tensor}
 * handles. Allocation is a pointer bump rounded to {@value #ALIGNMENT} bytes; {@link #reset()} frees
 * everything in O(1) and makes every handle it gave out stale; {@link #mark()} / {@link #reset(long)}
 * free only what was allocated since the mark.
 *
 * <pre>{@code
 * try (TensorArena params = TensorArena.ofShared(64 << 20);      // model lifetime
 *      TensorArena step   = TensorArena.ofConfined(256 << 20)) { // recycled each step
 *     ...
 *     step.reset();
 * }
 * }</pre>
 *
 * <p>Note [Confined and shared arenas]: the slab always comes from a shared FFM {@link Arena}, so the
 * intra-op worker threads and native libraries may read and write tensor bytes. "Confined" and "shared"
 * describe the <em>allocator</em>: a confined arena may be allocated from, reset and closed only by the
 * thread that created it (checked, with a clear message); a shared arena serialises those operations and
 * may be used from any thread.
 *
 * <p>Note [Stale handles]: handles come from two pools used on alternate generations. {@link #reset()}
 * bumps the generation, so every handle of the previous generation fails its check
 * ({@link Tensor#checkValid()}) with an {@link IllegalStateException} naming the arena and both
 * generations; those handles are only recycled one reset later, so a handle kept one step too long is
 * always caught. A handle kept two or more resets is recycled and can no longer be told apart from its
 * new owner; run with {@code -Dzerograd.checkHandles=true} (or {@link #checked}) to never recycle handles
 * and catch every stale use, at the price of allocating handle objects on the heap. {@link #reset(long)}
 * marks the handles it frees dead, but their pool slots are handed out again by the next allocations of
 * the same generation, so a freed handle is caught only until its slot is reused (always, in checked
 * mode). A view made in another arena keeps only its data arena's generation, so it notices a full reset
 * or close of that arena, not a {@link #reset(long)} that freed its bytes.
 */
public final class TensorArena implements AutoCloseable {
    /** Alignment of every allocation, in bytes: one cache line, and the width of an AVX-512 vector. */
    public static final long ALIGNMENT = 64;

    /** Largest capacity: a {@link #mark()} keeps {@code top / 64} in 34 bits. */
    public static final long MAX_CAPACITY = (1L << 40) - ALIGNMENT;

    private static final boolean CHECK_HANDLES_DEFAULT = Boolean.getBoolean("zerograd.checkHandles");
    private static final int INITIAL_HANDLES = 256;

    // Note [Mark layout]: bits 0-19 hold the handle count, bits 20-29 the generation mod 1024 (so a mark
    // from before a full reset() is rejected), bits 30-63 the byte top divided by ALIGNMENT.
    private static final int MARK_HANDLE_BITS = 20;
    private static final int MARK_GENERATION_BITS = 10;
    private static final int MAX_HANDLES = (1 << MARK_HANDLE_BITS) - 1;
    private static final int MARK_GENERATION_MASK = (1 << MARK_GENERATION_BITS) - 1;

    private final Arena ffmArena;
    private final MemorySegment slab;
    private final long capacity;
    private final String name;
    private final Thread owner; // null for shared arenas
    private final boolean recycleHandles;

    private long top;
    private long peak;
    private long allocations;
    private int generation;
    private boolean closed;

    private final Tensor[][] pools = new Tensor[2][];
    private final int[] poolUsed = new int[2];
    private int handleGrowths;

    private TensorArena(String name, long capacity, Thread owner, boolean recycleHandles) {
        if (capacity <= 0 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("TensorArena '" + name + "': capacity must be between 1 and " + MAX_CAPACITY
                    + " bytes, got " + capacity + " bytes");
        }
        this.name = name;
        this.capacity = capacity;
        this.owner = owner;
        this.recycleHandles = recycleHandles;
        this.ffmArena = Arena.ofShared();
        MemorySegment s;
        try {
            s = ffmArena.allocate(capacity, ALIGNMENT);
        } catch (OutOfMemoryError e) {
            ffmArena.close();
            throw new ArenaExhaustedException(name, "its slab from the operating system", capacity, 0, capacity);
        }
        this.slab = s;
        for (int p = 0; p < 2; p++) {
            pools[p] = new Tensor[INITIAL_HANDLES];
            if (recycleHandles) {
                for (int i = 0; i < INITIAL_HANDLES; i++) {
                    pools[p][i] = new Tensor();
                }
            }
        }
    }

    /** An arena usable (allocate, reset, close) only from the calling thread; its bytes are readable by workers. */
    public static TensorArena ofConfined(long capacityBytes) {
        return new TensorArena("confined-" + capacityBytes, capacityBytes, Thread.currentThread(), !CHECK_HANDLES_DEFAULT);
    }

    /** An arena usable from any thread; allocations are serialised. */
    public static TensorArena ofShared(long capacityBytes) {
        return new TensorArena("shared-" + capacityBytes, capacityBytes, null, !CHECK_HANDLES_DEFAULT);
    }

    /** A confined arena with a name used in every message about it. */
    public static TensorArena ofConfined(String name, long capacityBytes) {
        return new TensorArena(name, capacityBytes, Thread.currentThread(), !CHECK_HANDLES_DEFAULT);
    }

    /** A shared arena with a name used in every message about it. */
    public static TensorArena ofShared(String name, long capacityBytes) {
        return new TensorArena(name, capacityBytes, null, !CHECK_HANDLES_DEFAULT);
    }

    /**
     * A confined arena that never recycles handles, so every use of a stale handle is caught (see Note
     * [Stale handles]); each tensor then allocates a small handle object on the heap.
     */
    public static TensorArena checked(String name, long capacityBytes) {
        return new TensorArena(name, capacityBytes, Thread.currentThread(), false);
    }

    // ---------------------------------------------------------------- statistics

    public String name() {
        return name;
    }

    /** Slab size in bytes. */
    public long capacity() {
        return capacity;
    }

    /** Bytes handed out since creation or the last reset, including alignment padding. */
    public long bytesInUse() {
        return top;
    }

    /** The largest {@link #bytesInUse()} seen since creation or {@link #resetPeak()}. */
    public long peakBytes() {
        return peak;
    }

    /** Starts a new peak measurement from the current use. */
    public void resetPeak() {
        peak = top;
    }

    /** Number of tensor allocations since creation (never reset). */
    public long allocationCount() {
        return allocations;
    }

    /** Incremented by every {@link #reset()}; handles stamped with an older generation are stale. */
    public int generation() {
        return generation;
    }

    /** How many times a handle pool had to grow (each growth allocates on the heap; zero in steady state). */
    public int handlePoolGrowths() {
        return handleGrowths;
    }

    /** Handles in use in the current generation. */
    public int handlesInUse() {
        return poolUsed[generation & 1];
    }

    public boolean isClosed() {
        return closed;
    }

    public boolean isShared() {
        return owner == null;
    }

    /** The whole slab; tensors address it by {@link Tensor#byteOffset()}. */
    MemorySegment slab() {
        return slab;
    }

    // ---------------------------------------------------------------- lifetime

    /**
     * Frees every tensor allocated since creation in O(1) and makes all their handles stale. The peak
     * statistic is kept.
     */
    public void reset() {
        if (owner == null) {
            synchronized (this) {
                resetLocked();
            }
        } else {
            resetLocked();
        }
    }

    private void resetLocked() {
        checkOwner("reset");
        top = 0;
        generation++;
        poolUsed[generation & 1] = 0;
    }

    /**
     * A position to return to with {@link #reset(long)}: the bytes and handles in use now. Marks nest like a
     * stack and become invalid after a full {@link #reset()}.
     */
    public long mark() {
        if (owner == null) {
            synchronized (this) {
                return markLocked();
            }
        }
        return markLocked();
    }

    private long markLocked() {
        checkOwner("mark");
        int used = poolUsed[generation & 1];
        return ((top / ALIGNMENT) << (MARK_HANDLE_BITS + MARK_GENERATION_BITS))
                | ((long) (generation & MARK_GENERATION_MASK) << MARK_HANDLE_BITS) | used;
    }

    /**
     * Frees everything allocated after {@code mark} and marks the handles given out since then stale.
     * Costs O(number of handles freed).
     *
     * @throws IllegalArgumentException when the mark was taken before the last full {@link #reset()} or is
     *     ahead of the arena (taken after a position already freed)
     */
    public void reset(long mark) {
        if (owner == null) {
            synchronized (this) {
                resetLocked(mark);
            }
        } else {
            resetLocked(mark);
        }
    }

    private void resetLocked(long mark) {
        checkOwner("reset(mark)");
        long markTop = (mark >>> (MARK_HANDLE_BITS + MARK_GENERATION_BITS)) * ALIGNMENT;
        int markGeneration = (int) (mark >>> MARK_HANDLE_BITS) & MARK_GENERATION_MASK;
        int markUsed = (int) (mark & MAX_HANDLES);
        int p = generation & 1;
        if (markGeneration != (generation & MARK_GENERATION_MASK)) {
            throw new IllegalArgumentException("TensorArena '" + name + "': mark was taken in generation "
                    + markGeneration + " (mod " + (MARK_GENERATION_MASK + 1) + ") but the arena is at generation "
                    + generation + "; marks become invalid after a full reset()");
        }
        if (markTop > top || markUsed > poolUsed[p]) {
            throw new IllegalArgumentException("TensorArena '" + name + "': mark (" + markTop + " bytes, " + markUsed
                    + " handles) is ahead of the arena (" + top + " bytes, " + poolUsed[p]
                    + " handles); it was taken before a full reset() or after this point");
        }
        Tensor[] pool = pools[p];
        for (int i = markUsed; i < poolUsed[p]; i++) {
            pool[i].kill();
        }
        poolUsed[p] = markUsed;
        top = markTop;
    }

    /** Releases the slab. Every handle becomes stale; using one raises an {@link IllegalStateException}. */
    @Override
    public void close() {
        if (owner == null) {
            synchronized (this) {
                closeLocked();
            }
        } else {
            closeLocked();
        }
    }

    private void closeLocked() {
        if (closed) {
            return;
        }
        checkOwner("close");
        closed = true;
        generation++;
        ffmArena.close();
    }

    private void checkOwner(String what) {
        if (owner != null && owner != Thread.currentThread()) {
            throw new IllegalStateException("TensorArena '" + name + "' is confined to thread '" + owner.getName()
                    + "'; " + what + " was called from thread '" + Thread.currentThread().getName() + "'");
        }
        if (closed) {
            throw new IllegalStateException("TensorArena '" + name + "' is closed; " + what + " is not possible");
        }
    }

    // ---------------------------------------------------------------- allocation

    /**
     * Reserves {@code bytes} (rounded up to {@link #ALIGNMENT}) for a tensor of the given dtype and shape and
     * returns their offset in the slab. The caller holds the lock of a shared arena.
     *
     * @throws ArenaExhaustedException with the requested, available and total bytes
     */
    private long bump(long bytes, DType dtype, long[] shape, int rank) {
        long size = (bytes + (ALIGNMENT - 1)) & -ALIGNMENT;
        long available = capacity - top;
        if (size > available || size < 0) {
            // The description is built only here: the happy path allocates nothing on the heap.
            throw new ArenaExhaustedException(name, "a " + dtype + Shapes.format(shape, rank) + " tensor", bytes,
                    available, capacity);
        }
        long offset = top;
        top += size;
        if (top > peak) {
            peak = top;
        }
        allocations++;
        return offset;
    }

    /**
     * A handle from the current generation's pool. In checked mode the slot gets a fresh handle, so no
     * handle is ever reused, and the pool only records the handles {@link #reset(long)} must kill. The
     * caller holds the lock of a shared arena.
     */
    private Tensor acquireHandle() {
        int p = generation & 1;
        Tensor[] pool = pools[p];
        int used = poolUsed[p];
        if (used == pool.length) {
            pool = growPool(p);
        }
        poolUsed[p] = used + 1;
        if (!recycleHandles) {
            pool[used] = new Tensor();
        }
        return pool[used];
    }

    private Tensor[] growPool(int p) {
        Tensor[] old = pools[p];
        if (old.length >= MAX_HANDLES) {
            throw new IllegalStateException("TensorArena '" + name + "': more than " + old.length
                    + " live tensor handles in one generation; call reset() between steps");
        }
        Tensor[] grown = java.util.Arrays.copyOf(old, Math.min(old.length * 2, MAX_HANDLES));
        for (int i = old.length; recycleHandles && i < grown.length; i++) {
            grown[i] = new Tensor();
        }
        pools[p] = grown;
        handleGrowths++;
        return grown;
    }

    // ---------------------------------------------------------------- factories

    /** A tensor of the first {@code rank} sizes of {@code shape}, uninitialised (whatever bytes the slab holds). */
    public Tensor empty(DType dtype, long[] shape, int rank) {
        long numel = Shapes.checkedNumel("TensorArena.empty", shape, rank, dtype.byteSize());
        if (owner == null) {
            synchronized (this) {
                return newTensor(dtype, shape, rank, numel);
            }
        }
        return newTensor(dtype, shape, rank, numel);
    }

    private Tensor newTensor(DType dtype, long[] shape, int rank, long numel) {
        checkOwner("allocate");
        long offset = bump(numel << dtype.byteShift(), dtype, shape, rank);
        Tensor t = acquireHandle();
        t.init(this, generation, this, generation, slab, offset, dtype, Device.CPU, rank, shape, null, numel);
        return t;
    }

    /** An uninitialised tensor. */
    public Tensor empty(DType dtype, long... shape) {
        return empty(dtype, shape, shape.length);
    }

    /** An uninitialised tensor with {@code like}'s shape and the given dtype. */
    public Tensor emptyLike(Tensor like, DType dtype) {
        like.checkValid();
        long numel = like.numel; // checked when like was made; only the byte count may overflow in a wider dtype
        if (numel > Long.MAX_VALUE >> dtype.byteShift()) {
            return empty(dtype, like.shape, like.rank); // throws with the shape
        }
        if (owner == null) {
            synchronized (this) {
                return newTensor(dtype, like.shape, like.rank, numel);
            }
        }
        return newTensor(dtype, like.shape, like.rank, numel);
    }

    /** An uninitialised tensor with {@code like}'s shape and dtype. */
    public Tensor emptyLike(Tensor like) {
        return emptyLike(like, like.dtype);
    }

    /** A tensor of zeros. */
    public Tensor zeros(DType dtype, long... shape) {
        Tensor t = empty(dtype, shape);
        t.fillZeros();
        return t;
    }

    /** A tensor of zeros of the first {@code rank} sizes of {@code shape} (no varargs array: for hot loops). */
    public Tensor zeros(DType dtype, long[] shape, int rank) {
        Tensor t = empty(dtype, shape, rank);
        t.fillZeros();
        return t;
    }

    /** A tensor of zeros of {@code like}'s shape and dtype. */
    public Tensor zerosLike(Tensor like) {
        Tensor t = emptyLike(like);
        t.fillZeros();
        return t;
    }

    /** A tensor of ones. */
    public Tensor ones(DType dtype, long... shape) {
        return full(dtype, 1.0, shape);
    }

    /** A tensor with every element equal to {@code value} (converted to {@code dtype}). */
    public Tensor full(DType dtype, double value, long... shape) {
        Tensor t = empty(dtype, shape);
        t.fill(value);
        return t;
    }

    /** A tensor of the first {@code rank} sizes of {@code shape}, every element {@code value} (for hot loops). */
    public Tensor full(DType dtype, double value, long[] shape, int rank) {
        Tensor t = empty(dtype, shape, rank);
        t.fill(value);
        return t;
    }

    /** A rank-0 tensor holding {@code value}. */
    public Tensor scalar(DType dtype, double value) {
        Tensor t = empty(dtype, Tensor.NO_DIMS, 0);
        t.setDouble(value);
        return t;
    }

    /** An F32 tensor holding a copy of {@code data}, which must have exactly as many elements as {@code shape}. */
    public Tensor fromArray(float[] data, long... shape) {
        Tensor t = emptyFor("fromArray(float[])", DType.F32, data.length, shape);
        MemorySegment.copy(data, 0, slab, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, t.byteOffset(), data.length);
        return t;
    }

    /** An F64 tensor holding a copy of {@code data}. */
    public Tensor fromArray(double[] data, long... shape) {
        Tensor t = emptyFor("fromArray(double[])", DType.F64, data.length, shape);
        MemorySegment.copy(data, 0, slab, java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED, t.byteOffset(), data.length);
        return t;
    }

    /** An I32 tensor holding a copy of {@code data}. */
    public Tensor fromArray(int[] data, long... shape) {
        Tensor t = emptyFor("fromArray(int[])", DType.I32, data.length, shape);
        MemorySegment.copy(data, 0, slab, java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, t.byteOffset(), data.length);
        return t;
    }

    /** An I64 tensor holding a copy of {@code data}. */
    public Tensor fromArray(long[] data, long... shape) {
        Tensor t = emptyFor("fromArray(long[])", DType.I64, data.length, shape);
        MemorySegment.copy(data, 0, slab, java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, t.byteOffset(), data.length);
        return t;
    }

    /** A tensor of any dtype holding {@code data} converted element by element. */
    public Tensor fromArray(DType dtype, double[] data, long... shape) {
        Tensor t = emptyFor("fromArray(" + dtype + ")", dtype, data.length, shape);
        for (int i = 0; i < data.length; i++) {
            t.setDoubleFlat(i, data[i]);
        }
        return t;
    }

    private Tensor emptyFor(String op, DType dtype, int length, long[] shape) {
        long numel = Shapes.checkedNumel(op, shape, shape.length, dtype.byteSize());
        if (numel != length) {
            throw new IllegalArgumentException(op + ": " + length + " values do not fill shape " + Shapes.format(shape)
                    + " (" + numel + " elements)");
        }
        return empty(dtype, shape);
    }

    /** The 1-D tensor {@code start, start + step, ...} of all values below {@code end} (above, for negative steps). */
    public Tensor arange(DType dtype, double start, double end, double step) {
        if (step == 0 || !Double.isFinite(step) || !Double.isFinite(start) || !Double.isFinite(end)) {
            throw new IllegalArgumentException("arange: start " + start + ", end " + end + ", step " + step
                    + ": expected finite values and a non-zero step");
        }
        long n = (long) Math.max(0, Math.ceil((end - start) / step));
        Tensor t = empty(dtype, n);
        for (long i = 0; i < n; i++) {
            t.setDoubleFlat(i, start + i * step);
        }
        return t;
    }

    /** {@code arange(F32, 0, n, 1)}. */
    public Tensor arange(long n) {
        return arange(DType.F32, 0, n, 1);
    }

    /** Uniform [0, 1) F32 numbers from the counter-based generator: same seed, same numbers everywhere. */
    public Tensor rand(long[] shape, long seed) {
        return rand(DType.F32, shape, seed);
    }

    /**
     * Uniform [0, 1) numbers of a floating dtype (see {@link Philox}): f32 takes 24 random bits per element,
     * f16 11 and bf16 8 (the top bits of the same word, so they are the f32 numbers rounded down), f64 53.
     */
    public Tensor rand(DType dtype, long[] shape, long seed) {
        Tensor t = empty(floating("rand", dtype), shape);
        // As many random bits as the dtype has significand bits, so rounding to the dtype never gives 1.0.
        int bits = switch (dtype) {
            case F64 -> 53;
            case F16 -> 11;
            case BF16 -> 8;
            default -> 24;
        };
        for (long i = 0, n = t.numel(); i < n; i++) {
            t.setDoubleFlat(i, bits == 53 ? Philox.uniformDouble(seed, i, 0) : Philox.uniformFloat(seed, i, 0, bits));
        }
        return t;
    }

    /** Standard normal F32 numbers from the counter-based generator. */
    public Tensor randn(long[] shape, long seed) {
        return randn(DType.F32, shape, seed);
    }

    /** Standard normal numbers of a floating dtype (see {@link Philox}). */
    public Tensor randn(DType dtype, long[] shape, long seed) {
        Tensor t = empty(floating("randn", dtype), shape);
        for (long i = 0, n = t.numel(); i < n; i++) {
            t.setDoubleFlat(i, Philox.normal(seed, i, 0));
        }
        return t;
    }

    private static DType floating(String op, DType dtype) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": dtype " + dtype + " is not a floating-point dtype (expected f32, f64, f16 or bf16)");
        }
        return dtype;
    }

    // ---------------------------------------------------------------- views

    /**
     * A new handle, owned by this arena, that views {@code base}'s bytes with the given geometry: the first
     * {@code rank} entries of {@code shape} and {@code strides} (in elements, may be 0 for broadcasting) and
     * an element offset relative to {@code base}'s first element. The view must lie inside the elements
     * {@code base} can reach; nothing is copied.
     *
     * @throws IllegalArgumentException when the geometry reaches outside {@code base}
     */
    public Tensor view(Tensor base, int rank, long[] shape, long[] strides, long elementOffset) {
        base.checkValid();
        long numel = Shapes.checkedNumel("view", shape, rank, base.dtype.byteSize());
        if (numel > 0) {
            checkViewBounds(base, rank, shape, strides, elementOffset);
        }
        if (owner == null) {
            synchronized (this) {
                return newView(base, rank, shape, strides, elementOffset, numel);
            }
        }
        return newView(base, rank, shape, strides, elementOffset, numel);
    }

    private Tensor newView(Tensor base, int rank, long[] shape, long[] strides, long elementOffset, long numel) {
        checkOwner("view");
        Tensor t = acquireHandle();
        t.init(this, generation, base.dataArena, base.dataGeneration, base.segment, base.byteOffset
                + (elementOffset << base.dtype.byteShift()), base.dtype, base.device, rank, shape, strides, numel);
        return t;
    }

    /** Rejects a non-empty view geometry that reaches an element {@code base} cannot reach (or overflows). */
    private static void checkViewBounds(Tensor base, int rank, long[] shape, long[] strides, long elementOffset) {
        long lo = elementOffset;
        long hi = elementOffset;
        boolean overflow = false;
        try {
            for (int i = 0; i < rank; i++) {
                long span = Math.multiplyExact(shape[i] - 1, strides[i]);
                if (span < 0) {
                    lo = Math.addExact(lo, span);
                } else {
                    hi = Math.addExact(hi, span);
                }
            }
        } catch (ArithmeticException e) {
            overflow = true;
        }
        if (overflow || base.numel == 0 || lo < base.minElement() || hi > base.maxElement()) {
            String reach = overflow ? "overflows a long element offset" : "reaches elements [" + lo + ", " + hi + "]";
            String allowed = base.numel == 0 ? "but base " + base.describe() + " has no elements"
                    : "outside [" + base.minElement() + ", " + base.maxElement() + "] of base " + base.describe();
            throw new IllegalArgumentException("view: shape " + Shapes.format(shape, rank) + " with strides "
                    + Shapes.format(strides, rank) + " at element offset " + elementOffset + " " + reach + ", " + allowed);
        }
    }

    @Override
    public String toString() {
        return "TensorArena('" + name + "', " + (owner == null ? "shared" : "confined") + ", " + top + "/" + capacity
                + " bytes, peak " + peak + ", generation " + generation + (closed ? ", closed" : "") + ")";
    }
}
