package dev.zerograd.kernels;

import dev.zerograd.memory.Tensor;
import java.util.Objects;

/** Copies, dtype conversions and fills between tensors of any strides. Allocation-free. */
public final class Copy {
    private Copy() {}

    /**
     * dst = src converted to dst's dtype, with src broadcast to dst's shape (NumPy rules). Any dtype pair of
     * F32, F64, F16, BF16, I32, I64: floating values round to nearest even (f64 to f16/bf16 through f32);
     * floating to integer truncates toward zero, saturates and maps NaN to 0. Any strides on both sides;
     * src broadcast views (stride 0) are fine.
     *
     * @param src not modified
     * @param dst modified; must not overlap itself (no stride 0) nor overlap src other than exactly
     * @throws IllegalArgumentException naming both tensors when src does not broadcast to dst, or they overlap
     */
    public static void copy(Tensor src, Tensor dst) {
        Objects.requireNonNull(src, "Copy.copy: src is null");
        Objects.requireNonNull(dst, "Copy.copy: dst is null");
        EwTask t = EwTask.current();
        t.copy(src, dst);
        t.execute();
    }

    /**
     * Sets every element of dst to v converted to dst's dtype (as {@link #copy} converts). Any strides.
     *
     * @param dst modified
     */
    public static void fill(Tensor dst, double v) {
        Objects.requireNonNull(dst, "Copy.fill: dst is null");
        EwTask t = EwTask.current();
        t.fill(dst, v);
        t.execute();
    }
}
