package dev.zerograd.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad arguments fail with a message naming the kernel, the tensors and what was expected. */
class ElementwiseErrorsTest {
    private static void fails(Class<? extends Throwable> type, Executable call, String... fragments) {
        Throwable t = assertThrows(type, call);
        for (String f : fragments) {
            assertTrue(t.getMessage().contains(f), "message lacks '" + f + "': " + t.getMessage());
        }
    }

    @Test
    void shapesThatDoNotBroadcast() {
        try (TensorArena arena = TensorArena.ofConfined(1 << 20)) {
            Tensor a = arena.zeros(DType.F32, 2, 3);
            Tensor b = arena.zeros(DType.F32, 4);
            fails(IllegalArgumentException.class, () -> Elementwise.binary(BinaryOp.ADD, a, b, arena.empty(DType.F32, 2, 3)),
                    "Elementwise.binary(ADD)", "b f32[4]", "out f32[2, 3]", "expected 3 or 1");
            fails(IllegalArgumentException.class, () -> Elementwise.unary(UnaryOp.EXP, a, 0, arena.empty(DType.F32, 3, 2)),
                    "Elementwise.unary(EXP)", "x f32[2, 3]", "out f32[3, 2]");
            fails(IllegalArgumentException.class, () -> Elementwise.unary(UnaryOp.EXP, a, 0, arena.empty(DType.F32, 3)),
                    "Elementwise.unary(EXP)", "rank 2", "out f32[3]");
            fails(IllegalArgumentException.class, () -> Elementwise.where(arena.zeros(DType.I32, 5), a, a, arena.empty(DType.F32, 2, 3)),
                    "Elementwise.where", "cond i32[5]");
            fails(IllegalArgumentException.class, () -> Elementwise.axpyInPlace(1, arena.zeros(DType.F32, 2, 3, 1), a),
                    "Elementwise.axpyInPlace", "rank 3");
            fails(IllegalArgumentException.class, () -> Elementwise.mulScaled(a, b, 1, arena.empty(DType.F32, 2, 3)),
                    "Elementwise.mulScaled", "b f32[4]");
        }
    }

    @Test
    void dtypes() {
        try (TensorArena arena = TensorArena.ofConfined(1 << 20)) {
            Tensor f = arena.zeros(DType.F32, 3);
            Tensor d = arena.zeros(DType.F64, 3);
            fails(IllegalArgumentException.class, () -> Elementwise.binary(BinaryOp.MUL, f, d, arena.empty(DType.F32, 3)),
                    "Elementwise.binary(MUL)", "b f64[3]", "expected f32");
            fails(IllegalArgumentException.class, () -> Elementwise.unary(UnaryOp.NEG, f, 0, arena.empty(DType.I32, 3)),
                    "Elementwise.unary(NEG)", "out i32[3]", "f32 or f64");
            fails(IllegalArgumentException.class, () -> Elementwise.clamp(arena.zeros(DType.F16, 3), 0, 1, arena.empty(DType.F16, 3)),
                    "Elementwise.clamp", "f16");
            fails(IllegalArgumentException.class, () -> Elementwise.unary(UnaryOp.SOFTPLUS, f, 0, arena.empty(DType.F32, 3)),
                    "SOFTPLUS", "beta");
        }
    }

    @Test
    void overlapAndOutputStrides() {
        try (TensorArena arena = TensorArena.ofConfined(1 << 20)) {
            Tensor a = arena.zeros(DType.F32, 4, 5);
            fails(IllegalArgumentException.class, () -> Elementwise.unary(UnaryOp.NEG, a.slice(1, 0, 4), 0, a.slice(1, 1, 5)),
                    "partially overlaps");
            fails(IllegalArgumentException.class, () -> Elementwise.binary(BinaryOp.ADD, a, a.slice(0, 0, 1), a), "partially overlaps");
            fails(IllegalArgumentException.class,
                    () -> Elementwise.unary(UnaryOp.NEG, arena.zeros(DType.F32, 5), 0, arena.zeros(DType.F32, 5).expand(4, 5)), "stride 0");
            Elementwise.binary(BinaryOp.ADD, a, a, a);
            Elementwise.unary(UnaryOp.NEG, a.transpose(0, 1), 0, a.transpose(0, 1));
        }
    }

    @Test
    void staleHandles() {
        TensorArena arena = TensorArena.ofConfined(1 << 20);
        Tensor a = arena.zeros(DType.F32, 3);
        arena.reset();
        Tensor out = arena.zeros(DType.F32, 3);
        fails(IllegalStateException.class, () -> Elementwise.unary(UnaryOp.EXP, a, 0, out), "stale");
        fails(IllegalStateException.class, () -> Copy.copy(a, out), "stale");
        arena.close();
        fails(IllegalStateException.class, () -> Copy.fill(out, 1), "closed");
    }
}
