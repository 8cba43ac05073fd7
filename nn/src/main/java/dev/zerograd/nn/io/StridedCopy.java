package dev.zerograd.nn.io;

import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Copies a range of a tensor's elements, in logical row-major (C) order, between the tensor and a packed
 * buffer, whatever its strides: the bridge between strided tensors and a file's packed layout.
 */
final class StridedCopy {
    private StridedCopy() {}

    /**
     * Copies elements {@code [first, first + count)} of {@code t} in C order to {@code buf} at {@code bufOffset}
     * (packed, one element after another) when {@code gather}, or from {@code buf} into {@code t} otherwise.
     * Modifies {@code buf} or {@code t}.
     */
    static void run(Tensor t, long first, long count, MemorySegment buf, long bufOffset, boolean gather) {
        if (count == 0) {
            return;
        }
        int rank = t.rank();
        long[] shape = new long[Math.max(rank, 1)];
        long[] strides = new long[Math.max(rank, 1)];
        t.shapeInto(shape);
        t.stridesInto(strides);
        long[] index = new long[Math.max(rank, 1)];
        long element = 0; // offset, in elements, of the current index from element (0, ..., 0)
        long rest = first;
        for (int d = rank - 1; d >= 0; d--) {
            index[d] = rest % shape[d];
            rest /= shape[d];
            element += index[d] * strides[d];
        }
        MemorySegment seg = t.segment();
        long base = t.byteOffset();
        int size = t.dtype().byteSize();
        for (long k = 0; k < count; k++) {
            long at = base + element * size;
            long b = bufOffset + k * size;
            if (gather) {
                MemorySegment.copy(seg, at, buf, b, size);
            } else {
                MemorySegment.copy(buf, b, seg, at, size);
            }
            // Odometer step to the next index in C order.
            for (int d = rank - 1; d >= 0; d--) {
                index[d]++;
                element += strides[d];
                if (index[d] < shape[d] || d == 0) {
                    break;
                }
                element -= shape[d] * strides[d];
                index[d] = 0;
            }
        }
    }
}
