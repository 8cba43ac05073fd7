package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Shapes;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The iteration space of one elementwise call: the output's shape, and for the output and each input the
 * byte stride it moves by along each output dim. An input of lower rank aligns with the trailing dims; a
 * missing dim or a size-1 dim broadcasts and gets stride 0 (NumPy broadcasting).
 *
 * <p>{@link #finish()} then drops size-1 dims and merges adjacent dims {@code d, d+1} whenever
 * {@code stride[d] == stride[d+1] * size[d+1]} holds for every operand, so a contiguous same-shape call
 * becomes one dim, a bias add {@code [N, C] + [C]} stays two, and a scalar broadcast is one dim where the
 * scalar has stride 0. The last dim is the row the vector loop runs along; {@code block[d]} is how many
 * elements one step of dim {@code d} covers, so a flat element range splits into rows without division per
 * element.
 *
 * <p>One instance per thread lives in its {@link EwTask}; nothing here allocates except error messages.
 * Operand 0 is the output, 1.. are the inputs.
 */
final class Broadcast {
    static final int MAX_OPERANDS = 4;

    int rank;
    long numel;
    int operands;
    final long[] size = new long[Tensor.MAX_RANK];
    final long[] block = new long[Tensor.MAX_RANK];
    final long[][] stride = new long[MAX_OPERANDS][Tensor.MAX_RANK];
    final MemorySegment[] seg = new MemorySegment[MAX_OPERANDS];
    final long[] base = new long[MAX_OPERANDS];
    final int[] elemBytes = new int[MAX_OPERANDS];
    final Tensor[] tensors = new Tensor[MAX_OPERANDS];
    final String[] names = new String[MAX_OPERANDS];
    private String kernel;
    private Object op;
    private boolean flat;

    /** Names the call for messages: {@code kernel(op)}, or {@code kernel} when op is null. */
    void name(String kernel, Object op) {
        this.kernel = kernel;
        this.op = op;
    }

    /**
     * Starts a plan whose iteration space is {@code out}'s shape. Unless {@code allowZeroStride}, {@code out}
     * must not overlap itself: a zero stride on a dim of size above 1 is rejected.
     */
    void begin(String outName, Tensor out, boolean allowZeroStride) {
        MemorySegment s = out.segment();
        rank = out.rank();
        numel = out.numel();
        operands = 1;
        set(0, out, outName, s);
        // A contiguous output with contiguous same-shape inputs is one flat row: its dims are only read if an
        // input turns out to need broadcasting or strides (see expand()).
        flat = out.isContiguous();
        if (!flat) {
            outDims(allowZeroStride);
        }
    }

    private void outDims(boolean allowZeroStride) {
        Tensor out = tensors[0];
        for (int d = 0; d < rank; d++) {
            size[d] = out.size(d);
            long st = out.stride(d);
            if (st == 0 && size[d] > 1 && !allowZeroStride) {
                throw new IllegalArgumentException(label() + ": " + names[0] + " " + out.describe()
                        + " has stride 0 at dim " + d + " (an expanded view); an output must not overlap itself");
            }
            stride[0][d] = st * elemBytes[0];
        }
    }

    /** Adds an input that must broadcast to the output's shape. */
    void input(String name, Tensor t) {
        MemorySegment s = t.segment();
        int k = operands++;
        set(k, t, name, s);
        if (flat && t.isContiguous() && t.sameShape(tensors[0])) {
            return;
        }
        if (flat) {
            flat = false;
            outDims(true);
            for (int j = 1; j < k; j++) {
                inputDims(j);
            }
        }
        inputDims(k);
    }

    private void inputDims(int k) {
        Tensor t = tensors[k];
        int tr = t.rank();
        if (tr > rank) {
            throw new IllegalArgumentException(label() + ": " + names[k] + " " + t.describe() + " has rank " + tr
                    + ", more than the rank " + rank + " of " + names[0] + " " + tensors[0].describe()
                    + "; expected a shape that broadcasts to " + Shapes.format(size, rank));
        }
        int shift = rank - tr;
        long es = elemBytes[k];
        for (int d = 0; d < rank; d++) {
            int td = d - shift;
            if (td < 0) {
                stride[k][d] = 0;
                continue;
            }
            long ts = t.size(td);
            if (ts == size[d]) {
                stride[k][d] = ts == 1 ? 0 : t.stride(td) * es;
            } else if (ts == 1) {
                stride[k][d] = 0;
            } else {
                throw new IllegalArgumentException(label() + ": " + names[k] + " " + t.describe() + " does not broadcast to "
                        + names[0] + " " + tensors[0].describe() + ": dim " + td + " of " + names[k] + " has size " + ts
                        + ", expected " + size[d] + " or 1");
            }
        }
    }

    private void set(int k, Tensor t, String name, MemorySegment s) {
        seg[k] = s;
        base[k] = t.byteOffset();
        elemBytes[k] = t.dtype().byteSize();
        tensors[k] = t;
        names[k] = name;
    }

    /**
     * Checks that no input partially overlaps the output (exact aliasing, same first byte and same strides,
     * is allowed: each element is read before it is written), then coalesces dims.
     */
    void finish() {
        if (numel == 0) {
            return;
        }
        if (flat) {
            rank = 1;
            size[0] = numel;
            block[0] = 1;
            for (int k = 0; k < operands; k++) {
                stride[k][0] = elemBytes[k];
            }
        }
        for (int k = 1; k < operands; k++) {
            checkOverlap(k);
        }
        if (flat) {
            return;
        }
        int r = 0;
        for (int d = 0; d < rank; d++) {
            long n = size[d];
            if (n == 1) {
                continue;
            }
            if (r > 0 && mergeable(r - 1, d)) {
                size[r - 1] *= n;
                for (int k = 0; k < operands; k++) {
                    stride[k][r - 1] = stride[k][d];
                }
            } else {
                size[r] = n;
                for (int k = 0; k < operands; k++) {
                    stride[k][r] = stride[k][d];
                }
                r++;
            }
        }
        if (r == 0) {
            size[0] = 1;
            for (int k = 0; k < operands; k++) {
                stride[k][0] = 0;
            }
            r = 1;
        }
        rank = r;
        block[r - 1] = 1;
        for (int d = r - 2; d >= 0; d--) {
            block[d] = block[d + 1] * size[d + 1];
        }
    }

    private boolean mergeable(int outer, int inner) {
        long n = size[inner];
        for (int k = 0; k < operands; k++) {
            if (stride[k][outer] != stride[k][inner] * n) {
                return false;
            }
        }
        return true;
    }

    private void checkOverlap(int k) {
        if (seg[k] != seg[0]) {
            return;
        }
        long lo0 = base[0];
        long hi0 = base[0] + span(0) + elemBytes[0];
        long loK = base[k];
        long hiK = base[k] + span(k) + elemBytes[k];
        if (hi0 <= loK || hiK <= lo0) {
            return;
        }
        boolean same = base[k] == base[0] && elemBytes[k] == elemBytes[0];
        for (int d = 0; same && d < rank; d++) {
            same = size[d] == 1 || stride[k][d] == stride[0][d];
        }
        if (!same) {
            throw new IllegalArgumentException(label() + ": " + names[0] + " " + tensors[0].describe() + " partially overlaps "
                    + names[k] + " " + tensors[k].describe() + "; an output may alias an input only exactly (same"
                    + " elements, same strides), otherwise write to a fresh tensor");
        }
    }

    /** Bytes from the first element of operand k to its last, in the output's iteration space. */
    private long span(int k) {
        long s = 0;
        for (int d = 0; d < rank; d++) {
            s += (size[d] - 1) * stride[k][d];
        }
        return s;
    }

    /** Forgets the tensors of the last call. */
    void clear() {
        for (int k = 0; k < MAX_OPERANDS; k++) {
            tensors[k] = null;
            seg[k] = null;
        }
    }

    /** The call's name for messages, e.g. {@code Elementwise.binary(ADD)}. Allocates. */
    String label() {
        return EwTask.label(kernel, op);
    }

    /** The dtype of operand k. */
    DType dtype(int k) {
        return tensors[k].dtype();
    }
}
