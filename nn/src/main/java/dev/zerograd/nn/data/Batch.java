package dev.zerograd.nn.data;

import dev.zerograd.memory.Tensor;

/**
 * One mini-batch, filled by {@link BatchLoader#next}: a holder the training loop creates once and the
 * loader overwrites each step (so no object is allocated per batch). Its tensors belong to the step arena
 * given to {@code next} and become stale when that arena is reset.
 */
public final class Batch {
    Tensor x;
    Tensor y;
    int index = -1;
    int epoch = -1;
    int size;

    /** The inputs, {@code [size, ...]} of the dataset's dtype. */
    public Tensor x() {
        return x;
    }

    /** The targets, {@code [size, ...]}. */
    public Tensor y() {
        return y;
    }

    /** Position of this batch in its epoch, from 0. */
    public int index() {
        return index;
    }

    /** The epoch this batch belongs to. */
    public int epoch() {
        return epoch;
    }

    /** Number of examples: the batch size, or fewer for the last batch of an epoch. */
    public int size() {
        return size;
    }

    @Override
    public String toString() {
        return "Batch(epoch " + epoch + ", index " + index + ", size " + size + ")";
    }
}
