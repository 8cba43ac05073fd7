package dev.zerograd.tape;

import dev.zerograd.kernels.Copy;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;

/**
 * Joining and splitting along a dim: {@code concat} and {@code stack} copy their inputs into one fresh
 * result; {@code split} and {@code chunk} cut a tensor into recorded {@code slice} views (no copy).
 * Inputs may have any dtype (only floating-point ones carry gradients) and any strides.
 *
 * <p>Rules: the VJP of a join hands each input its own slice of g ({@code slice}, and for stack a
 * {@code squeeze} of it), the JVP joins the inputs' tangents (zeros for inputs without one). Both are
 * written with recorded ops, so higher-order derivatives exist.
 */
final class JoinOps {
    private JoinOps() {}

    // ---------------------------------------------------------------- concat

    /** Attributes: 0 = dim. */
    static final Op CONCAT = new Op("concat") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            int d = n.iattr(0);
            long offset = 0;
            for (int i = 0; i < n.inputCount(); i++) {
                long len = n.input(i).size(d);
                if (n.needsGrad(i)) {
                    grads.add(i, ViewOps.sliceOf(g, d, offset, len, 1));
                }
                offset += len;
            }
        }
        @Override public Tensor jvp(Node n) {
            int count = tangentsOrZeros(n);
            if (count < 0) {
                return null;
            }
            Tensor[] ts = Context.get().joinTangents;
            Tensor out = concat(ts, count, n.iattr(0));
            clear(ts, count);
            return out;
        }
    };

    /** Attributes: 0 = dim (of the result). */
    static final Op STACK = new Op("stack") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            int d = n.iattr(0);
            for (int i = 0; i < n.inputCount(); i++) {
                if (n.needsGrad(i)) {
                    grads.add(i, ViewOps.squeezeMask(ViewOps.sliceOf(g, d, i, 1, 1), 1 << d));
                }
            }
        }
        @Override public Tensor jvp(Node n) {
            int count = tangentsOrZeros(n);
            if (count < 0) {
                return null;
            }
            Tensor[] ts = Context.get().joinTangents;
            Tensor out = stack(ts, count, n.iattr(0));
            clear(ts, count);
            return out;
        }
    };

    /**
     * Fills {@link Context#joinTangents} with the inputs' tangents (zeros where an input has none) and returns
     * the input count, or -1 when no input has a tangent.
     */
    private static int tangentsOrZeros(Node n) {
        int count = n.inputCount();
        boolean any = false;
        for (int i = 0; i < count; i++) {
            any |= n.tangent(i) != null;
        }
        if (!any) {
            return -1;
        }
        Tensor[] ts = Context.get().joinTangents;
        for (int i = 0; i < count; i++) {
            Tensor t = n.tangent(i);
            ts[i] = t != null ? t : Ops.zerosLike(n.input(i));
        }
        return count;
    }

    private static void clear(Tensor[] ts, int count) {
        for (int i = 0; i < count; i++) {
            ts[i] = null;
        }
    }

    /** Checks {@code xs[0..count)}: present, valid, one dtype and device, rank {@code >= minRank}. */
    private static void checkInputs(String op, Tensor[] xs, int count, int minRank) {
        if (xs == null) {
            throw new IllegalArgumentException(op + ": the tensor array is null");
        }
        if (count <= 0 || count > xs.length) {
            throw new IllegalArgumentException(op + ": " + count + " tensors requested from an array of " + xs.length
                    + (xs.length == 0 ? " (expected at least one tensor)" : " (expected 1.." + xs.length + ")"));
        }
        if (count > Call.MAX_INPUTS) {
            throw new IllegalArgumentException(op + ": " + count + " tensors given, at most " + Call.MAX_INPUTS + " per op");
        }
        for (int i = 0; i < count; i++) {
            Tensor t = xs[i];
            if (t == null) {
                throw new IllegalArgumentException(op + ": input " + i + " is null");
            }
            t.checkValid();
        }
        Tensor first = xs[0];
        if (first.rank() < minRank) {
            throw new IllegalArgumentException(op + ": input 0 " + first.describe() + " has no dims (expected rank >= "
                    + minRank + "; stack joins rank-0 tensors)");
        }
        for (int i = 1; i < count; i++) {
            Tensor t = xs[i];
            if (t.dtype() != first.dtype() || t.device() != first.device()) {
                throw new IllegalArgumentException(op + ": input " + i + " " + t.describe() + " differs in dtype or device from input 0 "
                        + first.describe() + " (expected one dtype on one device)");
            }
        }
    }

    private static boolean tracksAny(Context c, Tensor[] xs, int count) {
        for (int i = 0; i < count; i++) {
            if (c.tracks(xs[i])) {
                return true;
            }
        }
        return false;
    }

    /** The first {@code count} tensors joined along {@code dim}; every other dim must match. */
    static Tensor concat(Tensor[] xs, int count, int dim) {
        Context c = Context.get();
        checkInputs("concat", xs, count, 1);
        Tensor first = xs[0];
        int rank = first.rank();
        int d = Checks.dim("concat", first, dim, rank);
        long total = 0;
        for (int i = 0; i < count; i++) {
            Tensor t = xs[i];
            boolean ok = t.rank() == rank;
            for (int k = 0; k < rank && ok; k++) {
                ok = k == d || t.size(k) == first.size(k);
            }
            if (!ok) {
                throw new IllegalArgumentException("concat: input " + i + " " + t.describe() + " does not fit input 0 "
                        + first.describe() + " along dim " + d + " (expected rank " + rank + " and equal sizes in every dim but " + d + ")");
            }
            total += t.size(d);
        }
        first.shapeInto(c.shapeA);
        c.shapeA[d] = total;
        Tensor out = c.result(first, first.dtype(), c.shapeA, rank);
        TensorArena a = c.resultArena(first);
        out.stridesInto(c.joinStrides);
        long offset = 0;
        for (int i = 0; i < count; i++) {
            Tensor t = xs[i];
            if (t.numel() > 0) {
                t.shapeInto(c.joinShape);
                Copy.copy(t, a.view(out, rank, c.joinShape, c.joinStrides, offset * out.stride(d)));
            }
            offset += t.size(d);
        }
        if (tracksAny(c, xs, count)) {
            Call call = c.begin(CONCAT);
            for (int i = 0; i < count; i++) {
                call.in(xs[i]);
            }
            call.attr(0, d).commit(out);
        }
        return out;
    }

    // ---------------------------------------------------------------- stack

    /** The first {@code count} tensors, all of one shape, joined along a new dim {@code dim} (-(rank+1)..rank). */
    static Tensor stack(Tensor[] xs, int count, int dim) {
        Context c = Context.get();
        checkInputs("stack", xs, count, 0);
        Tensor first = xs[0];
        int rank = first.rank() + 1;
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException("stack: dim " + dim + " is out of range for inputs " + first.describe()
                    + " (expected " + (-rank) + ".." + (rank - 1) + ")");
        }
        if (rank > Tensor.MAX_RANK) {
            throw new IllegalArgumentException("stack: inputs " + first.describe() + " already have the maximum rank " + Tensor.MAX_RANK);
        }
        for (int i = 1; i < count; i++) {
            if (!xs[i].sameShape(first)) {
                throw new IllegalArgumentException("stack: input " + i + " " + xs[i].describe() + " differs in shape from input 0 "
                        + first.describe() + " (expected one shape)");
            }
        }
        for (int k = 0, j = 0; k < rank; k++) {
            c.shapeA[k] = k == d ? count : first.size(j++);
        }
        Tensor out = c.result(first, first.dtype(), c.shapeA, rank);
        if (first.numel() > 0) {
            TensorArena a = c.resultArena(first);
            int r = first.shapeInto(c.joinShape);
            for (int k = 0, j = 0; k < rank; k++) {
                if (k != d) {
                    c.joinStrides[j++] = out.stride(k);
                }
            }
            for (int i = 0; i < count; i++) {
                Copy.copy(xs[i], a.view(out, r, c.joinShape, c.joinStrides, i * out.stride(d)));
            }
        }
        if (tracksAny(c, xs, count)) {
            Call call = c.begin(STACK);
            for (int i = 0; i < count; i++) {
                call.in(xs[i]);
            }
            call.attr(0, d).commit(out);
        }
        return out;
    }

    // ---------------------------------------------------------------- split / chunk

    private static int splitDim(String op, Tensor x, int dim) {
        x.checkValid();
        if (x.rank() == 0) {
            throw new IllegalArgumentException(op + ": " + x.describe() + " has no dims to split (expected rank >= 1)");
        }
        return Checks.dim(op, x, dim, x.rank());
    }

    private static void checkRoom(String op, Tensor x, int pieces, Tensor[] out) {
        if (out == null || out.length < pieces) {
            throw new IllegalArgumentException(op + ": " + x.describe() + " splits into " + pieces + " pieces but the output array has room for "
                    + (out == null ? 0 : out.length));
        }
    }

    /** Number of pieces of at most {@code splitSize} along dim (one empty piece for an empty dim). */
    static int pieces(String op, Tensor x, int dim, long splitSize) {
        int d = splitDim(op, x, dim);
        if (splitSize <= 0) {
            throw new IllegalArgumentException(op + ": split size " + splitSize + " for " + x.describe() + " must be positive");
        }
        long size = x.size(d);
        return size == 0 ? 1 : (int) ((size + splitSize - 1) / splitSize);
    }

    /** Writes the pieces of at most {@code splitSize} along dim into {@code out} and returns their number. */
    static int split(Tensor x, long splitSize, int dim, Tensor[] out) {
        int n = pieces("split", x, dim, splitSize);
        checkRoom("split", x, n, out);
        int d = Checks.dim("split", x, dim, x.rank());
        long size = x.size(d);
        for (int i = 0; i < n; i++) {
            long start = i * splitSize;
            out[i] = ViewOps.sliceOf(x, d, start, Math.min(splitSize, size - start), 1);
        }
        return n;
    }

    /** Writes pieces of the given sizes (summing to the dim's size) along dim into {@code out}; returns their number. */
    static int split(Tensor x, long[] sizes, int dim, Tensor[] out) {
        int d = splitDim("split", x, dim);
        long total = 0;
        for (long s : sizes) {
            if (s < 0) {
                total = -1;
                break;
            }
            total += s;
        }
        if (total != x.size(d)) {
            throw new IllegalArgumentException("split: sizes " + java.util.Arrays.toString(sizes) + " do not split dim " + dim
                    + " of " + x.describe() + " (expected non-negative sizes summing to " + x.size(d) + ")");
        }
        checkRoom("split", x, sizes.length, out);
        long start = 0;
        for (int i = 0; i < sizes.length; i++) {
            out[i] = ViewOps.sliceOf(x, d, start, sizes[i], 1);
            start += sizes[i];
        }
        return sizes.length;
    }

    /** Number of chunks {@link #chunk} makes: ceil(size / ceil(size / chunks)), or {@code chunks} for an empty dim. */
    static int chunkCount(Tensor x, int chunks, int dim) {
        int d = splitDim("chunk", x, dim);
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk: " + chunks + " chunks requested for " + x.describe() + " (expected at least 1)");
        }
        long size = x.size(d);
        if (size == 0) {
            return chunks;
        }
        long each = (size + chunks - 1) / chunks;
        return (int) ((size + each - 1) / each);
    }

    /** torch.chunk: pieces of ceil(size / chunks) along dim (the last smaller; fewer pieces when they run out). */
    static int chunk(Tensor x, int chunks, int dim, Tensor[] out) {
        int n = chunkCount(x, chunks, dim);
        checkRoom("chunk", x, n, out);
        int d = Checks.dim("chunk", x, dim, x.rank());
        long size = x.size(d);
        long each = size == 0 ? 0 : (size + chunks - 1) / chunks;
        for (int i = 0; i < n; i++) {
            long start = i * each;
            out[i] = ViewOps.sliceOf(x, d, start, Math.min(each, size - start), 1);
        }
        return n;
    }
}
