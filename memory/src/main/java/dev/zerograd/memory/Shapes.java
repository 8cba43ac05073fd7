package dev.zerograd.memory;

/**
 * Shape arithmetic shared by the arena, views and kernels. Every method that takes a {@code long[]} shape
 * together with a {@code rank} reads only the first {@code rank} entries, so callers can keep shapes in
 * preallocated {@code long[Tensor.MAX_RANK]} scratch arrays. Nothing here allocates except the messages of
 * the exceptions it throws.
 */
public final class Shapes {
    private Shapes() {}

    /**
     * Validates a shape and returns its element count.
     *
     * @throws IllegalArgumentException naming {@code op} and the shape when the rank is above
     *     {@link Tensor#MAX_RANK}, a size is negative, or the element count (times {@code elementBytes})
     *     overflows a {@code long}
     */
    public static long checkedNumel(String op, long[] shape, int rank, int elementBytes) {
        if (rank < 0 || rank > Tensor.MAX_RANK) {
            throw new IllegalArgumentException(op + ": rank " + rank + " of shape " + format(shape, Math.min(Math.max(rank, 0), shape.length))
                    + " is outside 0.." + Tensor.MAX_RANK);
        }
        if (rank > shape.length) {
            throw new IllegalArgumentException(op + ": rank " + rank + " but shape " + format(shape) + " has only "
                    + shape.length + " sizes");
        }
        long n = 1;
        boolean zero = false;
        for (int i = 0; i < rank; i++) {
            long d = shape[i];
            if (d < 0) {
                throw new IllegalArgumentException(op + ": shape " + format(shape, rank) + " has negative size " + d + " at dim " + i);
            }
            if (d == 0) {
                zero = true;
                continue;
            }
            if (Math.multiplyHigh(n, d) != 0 || n * d < 0) { // n * d overflows (no division on the hot path)
                throw new IllegalArgumentException(op + ": shape " + format(shape, rank) + " has more than Long.MAX_VALUE elements");
            }
            n *= d;
        }
        if (Math.multiplyHigh(n, elementBytes) != 0 || n * elementBytes < 0) {
            throw new IllegalArgumentException(op + ": shape " + format(shape, rank) + " needs more than Long.MAX_VALUE bytes");
        }
        return zero ? 0 : n;
    }

    /** Writes the row-major (C-order) strides, in elements, of {@code shape} into {@code strides}. */
    public static void contiguousStrides(long[] shape, int rank, long[] strides) {
        long s = 1;
        for (int i = rank - 1; i >= 0; i--) {
            strides[i] = s;
            s *= Math.max(shape[i], 1);
        }
    }

    /** True when {@code strides} are the row-major strides of {@code shape} (size-1 dims may have any stride). */
    public static boolean isContiguous(long[] shape, long[] strides, int rank) {
        long expected = 1;
        for (int i = rank - 1; i >= 0; i--) {
            long d = shape[i];
            if (d == 0) {
                return true;
            }
            if (d != 1 && strides[i] != expected) {
                return false;
            }
            expected *= d;
        }
        return true;
    }

    /** Product of the first {@code rank} sizes. */
    public static long numel(long[] shape, int rank) {
        long n = 1;
        for (int i = 0; i < rank; i++) {
            n *= shape[i];
        }
        return n;
    }

    /** True when the first {@code rank} entries of both shapes are equal. */
    public static boolean equal(long[] a, int rankA, long[] b, int rankB) {
        if (rankA != rankB) {
            return false;
        }
        for (int i = 0; i < rankA; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    /** {@code [2, 3]}-style text of the first {@code rank} sizes, for messages. */
    public static String format(long[] shape, int rank) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rank; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i]);
        }
        return sb.append(']').toString();
    }

    /** {@code [2, 3]}-style text of a whole array, for messages. */
    public static String format(long[] shape) {
        return format(shape, shape.length);
    }
}
