package dev.zerograd.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A handle to an n-dimensional array in a {@link TensorArena}: dtype, shape and strides (in elements, up to
 * {@value #MAX_RANK} dims), a byte offset into the arena's slab, and a device. Handles are pooled by the arena
 * that created them and recycled after {@link TensorArena#reset()}; every data access first checks that the
 * handle is still current (see Note [Stale handles] in {@link TensorArena}).
 *
 * <p>Element accessors exist for ranks 0 to 4 without varargs ({@code getFloat(i, j)}), so they can be used
 * in loops without allocating; {@code getDouble(long[])} covers higher ranks. Views ({@link #reshape},
 * {@link #transpose}, {@link #permute}, {@link #slice}, {@link #expand}) share the bytes and take their
 * handle from the same arena as this tensor; they allocate small shape arrays, so allocation-free code
 * builds views with {@link Views} into preallocated arrays and {@link TensorArena#view}. Differentiable
 * operations live in the {@code tape} module; the fields for autograd bookkeeping here are opaque to this
 * module.
 */
public final class Tensor {
    /** The largest rank a tensor can have. */
    public static final int MAX_RANK = 8;

    static final long[] NO_DIMS = new long[0];
    private static final long ZEROS_BYTES = 16 << 10;
    private static final MemorySegment ZEROS = java.lang.foreign.Arena.global().allocate(ZEROS_BYTES);
    private static final int DEAD = Integer.MIN_VALUE;

    // Identity. owner/generation: the arena whose pool holds this handle. dataArena/dataGeneration: the arena
    // whose slab holds the bytes (a view made in a step arena may point into a parameter arena).
    TensorArena owner;
    int generation;
    TensorArena dataArena;
    int dataGeneration;
    MemorySegment segment;
    long byteOffset;

    DType dtype;
    Device device;
    int rank;
    final long[] shape = new long[MAX_RANK];
    final long[] strides = new long[MAX_RANK];
    long numel;
    boolean contiguous;

    // Autograd bookkeeping, owned by the tape module.
    private boolean requiresGrad;
    private Tensor grad;
    private Tensor spareGrad;
    /** {@code spareGrad}'s handle generation when it was kept: a recycled handle is someone else's tensor. */
    private int spareGeneration;
    private Object autogradOwner;
    private int autogradSlot;
    private Tensor tangent;

    Tensor() {
        java.util.Arrays.fill(shape, 1); // slots past the rank hold size 1, stride 0 (see init)
    }

    void init(TensorArena owner, int generation, TensorArena dataArena, int dataGeneration, MemorySegment segment,
              long byteOffset, DType dtype, Device device, int rank, long[] shape, long[] stridesOrNull, long numel) {
        this.owner = owner;
        this.generation = generation;
        this.dataArena = dataArena;
        this.dataGeneration = dataGeneration;
        this.segment = segment;
        this.byteOffset = byteOffset;
        this.dtype = dtype;
        this.device = device;
        // Note [Handle slots]: slots past the rank always hold size 1 and stride 0, so only the first rank
        // slots and those the previous use of this recycled handle filled are written. A handle is cold in
        // cache when it is recycled (a step uses thousands), and a 64-float op's allocation was bound by
        // writing both cache lines of each 8-slot array.
        int previous = this.rank;
        this.rank = rank;
        long[] sh = this.shape;
        long[] st = this.strides;
        if (stridesOrNull == null) {
            long s = 1;
            for (int i = rank - 1; i >= 0; i--) {
                long d = shape[i];
                sh[i] = d;
                st[i] = s;
                s *= Math.max(d, 1);
            }
            this.contiguous = true; // row-major strides are contiguous by definition
        } else {
            for (int i = 0; i < rank; i++) {
                sh[i] = shape[i];
                st[i] = stridesOrNull[i];
            }
            this.contiguous = Shapes.isContiguous(sh, st, rank); // reads the first rank slots only
        }
        for (int i = rank; i < previous; i++) {
            sh[i] = 1;
            st[i] = 0;
        }
        this.numel = numel;
        this.requiresGrad = false;
        this.grad = null;
        this.spareGrad = null;
        this.autogradOwner = null;
        this.autogradSlot = -1;
        this.tangent = null;
    }

    /** Marks the handle stale for good (its arena freed it with {@code reset(mark)}). */
    void kill() {
        generation = DEAD;
    }

    // ---------------------------------------------------------------- validity

    /**
     * Checks that this handle is current and its bytes are alive.
     *
     * @throws IllegalStateException naming the arena and the generations when the arena was reset or closed
     */
    public void checkValid() {
        if (generation != owner.generation() || dataGeneration != dataArena.generation()) {
            throw stale();
        }
    }

    /** True when {@link #checkValid()} would pass. */
    public boolean isValid() {
        return generation == owner.generation() && dataGeneration == dataArena.generation();
    }

    private IllegalStateException stale() {
        TensorArena a = generation != owner.generation() ? owner : dataArena;
        int g = generation != owner.generation() ? generation : dataGeneration;
        if (a.isClosed()) {
            return new IllegalStateException("stale tensor handle: its arena '" + a.name() + "' is closed"
                    + " (handle generation " + (g == DEAD ? "freed by reset(mark)" : String.valueOf(g))
                    + ", arena generation " + a.generation() + ")");
        }
        if (g == DEAD) {
            return new IllegalStateException("stale tensor handle: arena '" + a.name()
                    + "' freed it with reset(mark) (arena generation " + a.generation() + ")");
        }
        return new IllegalStateException("stale tensor handle: arena '" + a.name() + "' was reset after it was made"
                + " (handle generation " + g + ", arena generation " + a.generation() + ")");
    }

    // ---------------------------------------------------------------- geometry

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return device;
    }

    public int rank() {
        return rank;
    }

    /** Size of dim {@code d}; negative {@code d} counts from the end. */
    public long size(int d) {
        return shape[dim("size", d)];
    }

    /** Stride, in elements, of dim {@code d}; negative {@code d} counts from the end. */
    public long stride(int d) {
        return strides[dim("stride", d)];
    }

    /** A copy of the shape (allocates; use {@link #size(int)} or {@link #shapeInto(long[])} in loops). */
    public long[] shape() {
        return java.util.Arrays.copyOf(shape, rank);
    }

    /** A copy of the strides in elements (allocates). */
    public long[] strides() {
        return java.util.Arrays.copyOf(strides, rank);
    }

    /** Copies the shape into {@code dst[0..rank)} and returns the rank. */
    public int shapeInto(long[] dst) {
        System.arraycopy(shape, 0, dst, 0, rank);
        return rank;
    }

    /** Copies the strides into {@code dst[0..rank)} and returns the rank. */
    public int stridesInto(long[] dst) {
        System.arraycopy(strides, 0, dst, 0, rank);
        return rank;
    }

    /** True when both tensors have the same rank and sizes. */
    public boolean sameShape(Tensor other) {
        // Equal ranks and element counts decide ranks 0 and 1 without reading either shape array (Note [Handle slots]).
        if (rank != other.rank || numel != other.numel) {
            return false;
        }
        return rank <= 1 || Shapes.equal(shape, rank, other.shape, rank);
    }

    public long numel() {
        return numel;
    }

    /** Bytes spanned by the elements ({@code numel * dtype.byteSize()}). */
    public long byteSize() {
        return numel << dtype.byteShift();
    }

    /** True when the elements are laid out densely in row-major order. */
    public boolean isContiguous() {
        return contiguous;
    }

    /** The arena whose pool owns this handle. */
    public TensorArena arena() {
        return owner;
    }

    /** The arena whose slab holds the bytes. */
    public TensorArena dataArena() {
        return dataArena;
    }

    /** The slab segment holding the bytes, after a validity check; address elements from {@link #byteOffset()}. */
    public MemorySegment segment() {
        checkValid();
        return segment;
    }

    /** Byte offset of element {@code (0, ..., 0)} in {@link #segment()}. */
    public long byteOffset() {
        return byteOffset;
    }

    /** Lowest element offset (relative to element 0) any index reaches; 0 unless a stride is negative. */
    long minElement() {
        long lo = 0;
        for (int i = 0; i < rank; i++) {
            long span = (shape[i] - 1) * strides[i];
            if (span < 0) {
                lo += span;
            }
        }
        return lo;
    }

    /** Highest element offset (relative to element 0) any index reaches. */
    long maxElement() {
        long hi = 0;
        for (int i = 0; i < rank; i++) {
            long span = (shape[i] - 1) * strides[i];
            if (span > 0) {
                hi += span;
            }
        }
        return hi;
    }

    private int dim(String op, int d) {
        int r = d < 0 ? d + rank : d;
        if (r < 0 || r >= rank) {
            throw new IndexOutOfBoundsException(op + ": dim " + d + " is out of range for a rank-" + rank + " tensor " + describe());
        }
        return r;
    }

    // ---------------------------------------------------------------- element access

    private long at(long elementIndex) {
        return byteOffset + (elementIndex << dtype.byteShift());
    }

    private long index(String op, int given, long i0, long i1, long i2, long i3) {
        if (given != rank) {
            throw new IllegalArgumentException(op + ": " + given + " indices given for a rank-" + rank + " tensor " + describe());
        }
        long e = 0;
        if (given > 0) { e += checkIndex(op, 0, i0) * strides[0]; }
        if (given > 1) { e += checkIndex(op, 1, i1) * strides[1]; }
        if (given > 2) { e += checkIndex(op, 2, i2) * strides[2]; }
        if (given > 3) { e += checkIndex(op, 3, i3) * strides[3]; }
        return e;
    }

    private long checkIndex(String op, int d, long i) {
        if (i < 0 || i >= shape[d]) {
            throw new IndexOutOfBoundsException(op + ": index " + i + " is out of range [0, " + shape[d] + ") at dim " + d
                    + " of tensor " + describe());
        }
        return i;
    }

    /** Element offset of the {@code flat}-th element in row-major logical order. */
    private long flatToElement(long flat) {
        if (flat < 0 || flat >= numel) {
            throw new IndexOutOfBoundsException("flat index " + flat + " is out of range [0, " + numel + ") of tensor " + describe());
        }
        if (contiguous) {
            return flat;
        }
        long e = 0;
        for (int d = rank - 1; d >= 0; d--) {
            long s = shape[d];
            e += (flat % s) * strides[d];
            flat /= s;
        }
        return e;
    }

    private double read(long elementIndex) {
        long b = at(elementIndex);
        MemorySegment s = segment();
        return switch (dtype) {
            case F32 -> s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, b);
            case F64 -> s.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, b);
            case F16 -> Half.f16ToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, b));
            case BF16 -> Half.bf16ToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, b));
            case I32 -> s.get(ValueLayout.JAVA_INT_UNALIGNED, b);
            case I64 -> s.get(ValueLayout.JAVA_LONG_UNALIGNED, b);
        };
    }

    private void write(long elementIndex, double v) {
        long b = at(elementIndex);
        MemorySegment s = segment();
        switch (dtype) {
            case F32 -> s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, b, (float) v);
            case F64 -> s.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, b, v);
            case F16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, b, Half.floatToF16((float) v));
            case BF16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, b, Half.floatToBf16((float) v));
            case I32 -> s.set(ValueLayout.JAVA_INT_UNALIGNED, b, (int) v);
            case I64 -> s.set(ValueLayout.JAVA_LONG_UNALIGNED, b, (long) v);
        }
    }

    /** The value of a one-element tensor (any rank), converted to double. */
    public double item() {
        if (numel != 1) {
            throw new IllegalStateException("item: tensor " + describe() + " has " + numel + " elements, expected exactly 1");
        }
        return read(0);
    }

    /** The value of a one-element tensor as float. */
    public float itemFloat() {
        return (float) item();
    }

    public double getDouble() { return read(index("getDouble", 0, 0, 0, 0, 0)); }
    public double getDouble(long i0) { return read(index("getDouble", 1, i0, 0, 0, 0)); }
    public double getDouble(long i0, long i1) { return read(index("getDouble", 2, i0, i1, 0, 0)); }
    public double getDouble(long i0, long i1, long i2) { return read(index("getDouble", 3, i0, i1, i2, 0)); }
    public double getDouble(long i0, long i1, long i2, long i3) { return read(index("getDouble", 4, i0, i1, i2, i3)); }

    public float getFloat() { return (float) getDouble(); }
    public float getFloat(long i0) { return (float) getDouble(i0); }
    public float getFloat(long i0, long i1) { return (float) getDouble(i0, i1); }
    public float getFloat(long i0, long i1, long i2) { return (float) getDouble(i0, i1, i2); }
    public float getFloat(long i0, long i1, long i2, long i3) { return (float) getDouble(i0, i1, i2, i3); }

    public void setDouble(double v) { write(index("setDouble", 0, 0, 0, 0, 0), v); }
    public void setDouble(long i0, double v) { write(index("setDouble", 1, i0, 0, 0, 0), v); }
    public void setDouble(long i0, long i1, double v) { write(index("setDouble", 2, i0, i1, 0, 0), v); }
    public void setDouble(long i0, long i1, long i2, double v) { write(index("setDouble", 3, i0, i1, i2, 0), v); }
    public void setDouble(long i0, long i1, long i2, long i3, double v) { write(index("setDouble", 4, i0, i1, i2, i3), v); }

    public void setFloat(float v) { setDouble(v); }
    public void setFloat(long i0, float v) { setDouble(i0, v); }
    public void setFloat(long i0, long i1, float v) { setDouble(i0, i1, v); }

    /** Element at a full index of any rank. */
    public double getDouble(long[] idx) {
        return read(fullIndex("getDouble", idx));
    }

    /** Sets the element at a full index of any rank. */
    public void setDouble(long[] idx, double v) {
        write(fullIndex("setDouble", idx), v);
    }

    private long fullIndex(String op, long[] idx) {
        if (idx.length != rank) {
            throw new IllegalArgumentException(op + ": " + idx.length + " indices given for a rank-" + rank + " tensor " + describe());
        }
        long e = 0;
        for (int d = 0; d < rank; d++) {
            e += checkIndex(op, d, idx[d]) * strides[d];
        }
        return e;
    }

    /** The {@code flat}-th element in row-major logical order, whatever the strides. */
    public double getDoubleFlat(long flat) {
        return read(flatToElement(flat));
    }

    /** Sets the {@code flat}-th element in row-major logical order. Modifies this tensor. */
    public void setDoubleFlat(long flat, double v) {
        write(flatToElement(flat), v);
    }

    /** Sets every element to {@code v}. Modifies this tensor. */
    public void fill(double v) {
        checkValid();
        if (Double.doubleToRawLongBits(v) == 0 && contiguous) { // +0.0 only: -0.0 must keep its sign bit
            fillZeros();
            return;
        }
        for (long i = 0; i < numel; i++) {
            write(flatToElement(i), v);
        }
    }

    /**
     * Zeroes the contiguous byte range with bulk copies from {@link #ZEROS}: {@code asSlice(..).fill(..)}
     * would allocate a slice object whenever escape analysis gives up on it.
     */
    void fillZeros() {
        MemorySegment s = segment();
        long offset = byteOffset;
        long left = byteSize();
        while (left > 0) {
            long n = Math.min(left, ZEROS_BYTES);
            MemorySegment.copy(ZEROS, 0, s, offset, n);
            offset += n;
            left -= n;
        }
    }

    /** The elements in row-major logical order, converted to float (allocates). */
    public float[] toFloatArray() {
        checkArrayable();
        float[] out = new float[(int) numel];
        if (dtype == DType.F32 && contiguous) {
            MemorySegment.copy(segment(), ValueLayout.JAVA_FLOAT_UNALIGNED, byteOffset, out, 0, out.length);
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) read(flatToElement(i));
        }
        return out;
    }

    /** The elements in row-major logical order, converted to double (allocates). */
    public double[] toDoubleArray() {
        checkArrayable();
        double[] out = new double[(int) numel];
        if (dtype == DType.F64 && contiguous) {
            MemorySegment.copy(segment(), ValueLayout.JAVA_DOUBLE_UNALIGNED, byteOffset, out, 0, out.length);
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = read(flatToElement(i));
        }
        return out;
    }

    /** The elements in row-major logical order, converted to long (allocates). */
    public long[] toLongArray() {
        checkArrayable();
        long[] out = new long[(int) numel];
        for (int i = 0; i < out.length; i++) {
            out[i] = (long) read(flatToElement(i));
        }
        return out;
    }

    private void checkArrayable() {
        checkValid();
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor " + describe() + " has " + numel + " elements, too many for a Java array");
        }
    }

    // ---------------------------------------------------------------- views (handles from this tensor's arena)

    /**
     * A view with a new shape over the same elements; one size may be -1 and is inferred. Requires a
     * contiguous tensor (use a copy otherwise).
     */
    public Tensor reshape(long... newShape) {
        checkValid();
        long[] s = new long[newShape.length];
        Views.inferShape("reshape", this, newShape, s);
        if (!contiguous) {
            throw new IllegalArgumentException("reshape: tensor " + describe() + " is not contiguous; make a contiguous copy first");
        }
        long[] st = new long[s.length];
        Shapes.contiguousStrides(s, s.length, st);
        return owner.view(this, s.length, s, st, 0);
    }

    /** A view with dims {@code d0} and {@code d1} swapped. */
    public Tensor transpose(int d0, int d1) {
        checkValid();
        int a = dim("transpose", d0);
        int b = dim("transpose", d1);
        long[] s = shape();
        long[] st = strides();
        long t = s[a]; s[a] = s[b]; s[b] = t;
        t = st[a]; st[a] = st[b]; st[b] = t;
        return owner.view(this, rank, s, st, 0);
    }

    /** A view whose dim {@code i} is this tensor's dim {@code dims[i]}; {@code dims} must be a permutation. */
    public Tensor permute(int... dims) {
        checkValid();
        long[] s = new long[rank];
        long[] st = new long[rank];
        Views.permute(this, dims, s, st);
        return owner.view(this, rank, s, st, 0);
    }

    /** A view of {@code [start, end)} along {@code dim} (end is clamped to the size; negative values count from the end). */
    public Tensor slice(int dim, long start, long end) {
        return slice(dim, start, end, 1);
    }

    /** A view of every {@code step}-th index of {@code [start, end)} along {@code dim}. */
    public Tensor slice(int dim, long start, long end, long step) {
        checkValid();
        int d = dim("slice", dim);
        long[] s = shape();
        long[] st = strides();
        long offset = Views.slice(this, d, start, end, step, s, st);
        return owner.view(this, rank, s, st, offset);
    }

    /**
     * A view broadcast to {@code newShape} without copying: size-1 dims (and new leading dims) get stride 0.
     * -1 keeps a size.
     */
    public Tensor expand(long... newShape) {
        checkValid();
        long[] s = new long[newShape.length];
        long[] st = new long[newShape.length];
        Views.expand(this, newShape, newShape.length, s, st);
        return owner.view(this, newShape.length, s, st, 0);
    }

    // ---------------------------------------------------------------- autograd bookkeeping

    /** True when gradients flow to this tensor (a leaf marked with {@link #requiresGrad()}, or a result computed from one). */
    public boolean needsGrad() {
        return requiresGrad;
    }

    /**
     * Marks this tensor as a leaf that gradients flow to and returns it. Only floating-point tensors can
     * require gradients.
     */
    public Tensor requiresGrad(boolean value) {
        if (value && !dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("requiresGrad: tensor " + describe() + " has dtype " + dtype
                    + "; only floating-point tensors (f32, f64, f16, bf16) can require gradients");
        }
        this.requiresGrad = value;
        return this;
    }

    /** {@code requiresGrad(true)}. */
    public Tensor requiresGrad() {
        return requiresGrad(true);
    }

    /** The gradient accumulated by backward passes, or null before the first one. */
    public Tensor grad() {
        return grad;
    }

    /** Sets the accumulated gradient (used by the tape and optimizers). */
    public void setGrad(Tensor g) {
        this.grad = g;
    }

    /**
     * Drops the accumulated gradient: {@link #grad()} is null until the next backward pass, which then writes
     * its gradient instead of adding to one. The buffer is kept for that pass to write into, so no memory is
     * allocated and nothing is zeroed (Note [Released gradients]).
     *
     * <p>Note [Released gradients]: this is PyTorch's {@code zero_grad(set_to_none=True)} without the
     * allocation. Zeroing a gradient costs a pass over it, and the next backward pass then reads it again to add
     * to it; a released gradient costs neither: the first contribution is written (a GEMM with beta 0, a copy).
     * The buffer comes back as the same {@code Tensor} object: code that kept a reference to the old gradient
     * sees its old values until the next backward pass and the new ones after it. Code that reads a gradient
     * should ask {@link #grad()} each time, as with PyTorch.
     */
    public void releaseGrad() {
        if (grad != null) {
            spareGrad = grad;
            spareGeneration = grad.generation;
            grad = null;
        }
    }

    /**
     * The buffer {@link #releaseGrad()} kept, if it still fits (contiguous, this tensor's shape and dtype), for
     * the tape to write a new gradient into; null otherwise. Either way the tensor keeps no spare afterwards.
     */
    public Tensor takeSpareGrad() {
        Tensor s = spareGrad;
        spareGrad = null;
        if (s == null || s.generation != spareGeneration || !s.isValid() || !s.contiguous || s.dtype != dtype
                || !s.sameShape(this)) {
            return null;
        }
        return s;
    }

    /** Opaque autograd owner (the tape that produced this tensor), managed by the tape module. */
    public Object autogradOwner() {
        return autogradOwner;
    }

    /** Opaque autograd slot in {@link #autogradOwner()}, managed by the tape module. */
    public int autogradSlot() {
        return autogradSlot;
    }

    /** Records which tape slot holds this tensor; managed by the tape module. */
    public void setAutograd(Object owner, int slot) {
        this.autogradOwner = owner;
        this.autogradSlot = slot;
    }

    /** The forward-mode tangent carried with this tensor (a dual number's second part), or null for zero. */
    public Tensor tangent() {
        return tangent;
    }

    /** Attaches a forward-mode tangent; managed by the tape module's forward-mode API. */
    public void setTangent(Tensor t) {
        this.tangent = t;
    }

    // ---------------------------------------------------------------- text

    /** {@code f32[2, 3] cpu} plus the owning arena, for messages. Allocates. */
    public String describe() {
        return dtype + Shapes.format(shape, rank) + " " + device + (contiguous ? "" : " (strided " + Shapes.format(strides, rank) + ")");
    }

    @Override
    public String toString() {
        if (!isValid()) {
            return "Tensor(stale handle)";
        }
        StringBuilder sb = new StringBuilder("Tensor(").append(describe());
        if (numel <= 16) {
            sb.append(", [");
            for (long i = 0; i < numel; i++) {
                sb.append(i == 0 ? "" : ", ").append(read(flatToElement(i)));
            }
            sb.append(']');
        }
        if (requiresGrad) {
            sb.append(", requiresGrad");
        }
        return sb.append(')').toString();
    }
}
