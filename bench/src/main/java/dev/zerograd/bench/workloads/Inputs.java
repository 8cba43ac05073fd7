package dev.zerograd.bench.workloads;

import dev.zerograd.memory.Tensor;

/**
 * Deterministic inputs both engines can compute exactly, so the comparison feeds them the same numbers:
 * element {@code i} (row-major) is {@code ((i * 7919) mod 1000) / 1000 - 0.5}, label {@code i} is
 * {@code i mod classes}. The peer script implements the same two formulas. Setup only (allocates nothing but
 * is slow per element).
 */
public final class Inputs {
    private Inputs() {}

    /** Element {@code i}, in [-0.5, 0.5). */
    public static float value(long i) {
        return (float) ((i * 7919) % 1000) / 1000f - 0.5f;
    }

    /** Fills a contiguous F32 tensor. Modifies {@code t}. */
    public static void fill(Tensor t) {
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            t.setDoubleFlat(i, value(i));
        }
    }

    /** Fills a contiguous I64 tensor of labels with {@code i mod classes}. Modifies {@code t}. */
    public static void labels(Tensor t, int classes) {
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            t.setDoubleFlat(i, i % classes);
        }
    }
}
