package dev.zerograd.memory;

/**
 * Geometry of the copy-free views: each method validates its arguments against a source tensor and writes
 * the view's shape and strides into caller-provided arrays, so the tape can build views in preallocated
 * scratch without allocating. The arena turns the geometry into a handle with {@link TensorArena#view}.
 */
public final class Views {
    private Views() {}

    /**
     * Resolves a reshape target against {@code src}'s element count, inferring at most one -1, into
     * {@code out[0..target.length)}.
     */
    public static void inferShape(String op, Tensor src, long[] target, long[] out) {
        inferShape(op, src, target, target.length, out);
    }

    /** {@link #inferShape(String, Tensor, long[], long[])} over the first {@code rank} entries of {@code target}. */
    public static void inferShape(String op, Tensor src, long[] target, int rank, long[] out) {
        if (rank > Tensor.MAX_RANK) {
            throw new IllegalArgumentException(op + ": target shape " + Shapes.format(target, rank) + " has rank above " + Tensor.MAX_RANK);
        }
        int infer = -1;
        long known = 1;
        for (int i = 0; i < rank; i++) {
            long d = target[i];
            if (d == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + ": target shape " + Shapes.format(target, rank) + " has more than one -1");
                }
                infer = i;
            } else if (d < 0) {
                throw new IllegalArgumentException(op + ": target shape " + Shapes.format(target, rank) + " has negative size " + d);
            } else {
                known *= d;
            }
            out[i] = d;
        }
        long n = src.numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException(op + ": cannot infer -1 in " + Shapes.format(target, rank) + " for "
                        + src.describe() + " (" + n + " elements)");
            }
            out[infer] = n / known;
        } else if (known != n) {
            throw new IllegalArgumentException(op + ": shape " + Shapes.format(target, rank) + " (" + known
                    + " elements) does not match " + src.describe() + " (" + n + " elements)");
        }
    }

    /** Writes the shape and strides of {@code src} permuted by {@code dims} (a permutation of 0..rank-1). */
    public static void permute(Tensor src, int[] dims, long[] shapeOut, long[] stridesOut) {
        int rank = src.rank();
        if (dims.length != rank) {
            throw new IllegalArgumentException("permute: " + dims.length + " dims given for " + src.describe()
                    + "; expected a permutation of 0.." + (rank - 1));
        }
        int seen = 0;
        for (int i = 0; i < rank; i++) {
            int d = dims[i] < 0 ? dims[i] + rank : dims[i];
            if (d < 0 || d >= rank || (seen & (1 << d)) != 0) {
                throw new IllegalArgumentException("permute: dims " + java.util.Arrays.toString(dims)
                        + " are not a permutation of 0.." + (rank - 1) + " for " + src.describe());
            }
            seen |= 1 << d;
            shapeOut[i] = src.shape[d];
            stridesOut[i] = src.strides[d];
        }
    }

    /**
     * Narrows {@code shape}/{@code strides} (copies of {@code src}'s) to every {@code step}-th index of
     * {@code [start, end)} along {@code dim} and returns the element offset of the view's first element.
     * Negative start/end count from the end; end is clamped to the size.
     */
    public static long slice(Tensor src, int dim, long start, long end, long step, long[] shape, long[] strides) {
        long size = src.shape[dim];
        if (step <= 0) {
            throw new IllegalArgumentException("slice: step " + step + " along dim " + dim + " of " + src.describe() + " must be positive");
        }
        long s = start < 0 ? start + size : start;
        long e = end < 0 ? end + size : Math.min(end, size);
        if (s < 0 || s > size || e < s) {
            throw new IllegalArgumentException("slice: range [" + start + ", " + end + ") is not inside dim " + dim
                    + " of size " + size + " of " + src.describe());
        }
        shape[dim] = e == s ? 0 : (e - s - 1) / step + 1; // ceil((e - s) / step) without overflow
        strides[dim] = src.strides[dim] * step;
        return s * src.strides[dim];
    }

    /**
     * Broadcasts {@code src} to the first {@code rank} entries of {@code target} (NumPy rules: trailing dims
     * align, size-1 and missing dims broadcast with stride 0, -1 keeps a size).
     */
    public static void expand(Tensor src, long[] target, int rank, long[] shapeOut, long[] stridesOut) {
        int srcRank = src.rank();
        if (rank < srcRank || rank > Tensor.MAX_RANK) {
            throw new IllegalArgumentException("expand: cannot expand " + src.describe() + " to "
                    + Shapes.format(target, rank) + " (target rank must be between " + srcRank + " and " + Tensor.MAX_RANK + ")");
        }
        int lead = rank - srcRank;
        for (int i = 0; i < rank; i++) {
            long t = target[i];
            if (i < lead) {
                if (t < 0) {
                    throw new IllegalArgumentException("expand: size -1 is not allowed for new leading dim " + i + " in "
                            + Shapes.format(target, rank));
                }
                shapeOut[i] = t;
                stridesOut[i] = 0;
                continue;
            }
            long s = src.shape[i - lead];
            if (t == -1 || t == s) {
                shapeOut[i] = s;
                stridesOut[i] = src.strides[i - lead];
            } else if (s == 1 && t >= 0) {
                shapeOut[i] = t;
                stridesOut[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: cannot expand " + src.describe() + " to "
                        + Shapes.format(target, rank) + ": dim " + i + " has size " + s + ", expected 1 or " + t);
            }
        }
    }
}
