package dev.zerograd.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.Test;

/**
 * The small-tensor F32 path runs whole vectors in {@link VecF32}'s loops and the tail per element: every
 * length from 1 to three vectors and a half gives exactly the float result of each element's formula,
 * including in place, where out is one of the operands.
 */
class SmallKernelsTest {
    private static final BinaryOp[] ARITH = {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV};

    private static float apply(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            default -> a / b;
        };
    }

    @Test
    void arithmeticAndTanhAreExactForEveryLengthAroundTheVectorWidth() {
        try (TensorArena arena = TensorArena.ofConfined(1 << 20)) {
            for (int n = 1; n <= 3 * VecF32.L + VecF32.L / 2 + 1; n++) {
                long mark = arena.mark();
                Tensor a = arena.empty(DType.F32, n);
                Tensor b = arena.empty(DType.F32, n);
                for (int i = 0; i < n; i++) {
                    a.setDoubleFlat(i, Math.sin(i * 1.7 + n) * 3);
                    b.setDoubleFlat(i, Math.cos(i * 0.9 - n) * 2 + 2.5);
                }
                for (BinaryOp op : ARITH) {
                    Tensor out = arena.empty(DType.F32, n);
                    Elementwise.binary(op, a, b, out);
                    for (int i = 0; i < n; i++) {
                        float want = apply(op, a.getFloat(i), b.getFloat(i));
                        assertEquals(want, out.getFloat(i), 0f, op + " n=" + n + " at " + i);
                    }
                    Tensor scalar = arena.full(DType.F32, 1.25, 1);
                    Elementwise.binary(op, a, scalar, out);
                    for (int i = 0; i < n; i++) {
                        assertEquals(apply(op, a.getFloat(i), 1.25f), out.getFloat(i), 0f, op + " by a scalar, n=" + n + " at " + i);
                    }
                }
                Tensor t = arena.empty(DType.F32, n);
                Elementwise.unary(UnaryOp.TANH, a, 0, t);
                for (int i = 0; i < n; i++) {
                    assertEquals(Formulas.tanhF32(a.getFloat(i)), t.getFloat(i), 0f, "tanh n=" + n + " at " + i);
                }
                // in place: out is a
                float[] before = a.toFloatArray();
                Elementwise.binary(BinaryOp.MUL, a, b, a);
                for (int i = 0; i < n; i++) {
                    assertEquals(before[i] * b.getFloat(i), a.getFloat(i), 0f, "in-place mul n=" + n + " at " + i);
                }
                Elementwise.unary(UnaryOp.TANH, a, 0, a);
                for (int i = 0; i < n; i++) {
                    assertEquals(Formulas.tanhF32(before[i] * b.getFloat(i)), a.getFloat(i), 0f, "in-place tanh n=" + n + " at " + i);
                }
                arena.reset(mark);
            }
        }
    }

    /**
     * An out that partly overlaps an operand (the same buffer shifted by one element either way) is not a
     * dense-head call: it is rejected with the op's name, and nothing is written.
     */
    @Test
    void partlyOverlappingOutputsAreRejectedUntouched() {
        try (TensorArena arena = TensorArena.ofConfined(1 << 20)) {
            int n = 2 * VecF32.L + 3;
            for (int shift : new int[] {-1, 1}) {
                for (int kind = 0; kind < 3; kind++) {
                    long mark = arena.mark();
                    Tensor base = arena.empty(DType.F32, n + 2);
                    for (int i = 0; i < n + 2; i++) {
                        base.setDoubleFlat(i, Math.sin(i * 1.3) * 0.9);
                    }
                    Tensor a = base.slice(0, 1, 1 + n);
                    Tensor out = base.slice(0, 1 + shift, 1 + shift + n);
                    Tensor b = arena.full(DType.F32, 1.5, n);
                    float[] before = base.toFloatArray();
                    final int k = kind;
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                        switch (k) {
                            case 0 -> Elementwise.binary(BinaryOp.MUL, a, b, out);
                            case 1 -> Elementwise.unary(UnaryOp.TANH, a, 0, out);
                            default -> Elementwise.tanhBackward(b, a, out);
                        }
                    });
                    assertTrue(e.getMessage().contains("partially overlaps"), e.getMessage());
                    assertArrayEquals(before, base.toFloatArray(), "kind " + kind + " shift " + shift);
                    arena.reset(mark);
                }
            }
        }
    }
}
