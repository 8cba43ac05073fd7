package dev.zerograd.tape;

import static dev.zerograd.tape.Ops.add;
import static dev.zerograd.tape.Ops.matmul;
import static dev.zerograd.tape.Ops.mul;
import static dev.zerograd.tape.Ops.pow;
import static dev.zerograd.tape.Ops.sum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.Test;

/** The examples every autodiff engine must get right, with analytic answers. */
class SeedExamplesTest {

    @Test
    void sumOfProductGivesEachOtherAsGradient() {
        try (TensorArena params = TensorArena.ofConfined("params", 1 << 20);
             TensorArena step = TensorArena.ofConfined("step", 1 << 20)) {
            Tensor x = params.fromArray(new double[] {1, -2, 3.5}, 3).requiresGrad();
            Tensor w = params.fromArray(new double[] {0.5, 4, -1}, 3).requiresGrad();
            try (GradientTape tape = GradientTape.record(step)) {
                Tensor z = sum(mul(x, w));
                assertEquals(0.5 - 8 - 3.5, z.item(), 1e-12);
                tape.backward(z);
            }
            assertArrayEquals(w.toDoubleArray(), x.grad().toDoubleArray(), 0);
            assertArrayEquals(x.toDoubleArray(), w.grad().toDoubleArray(), 0);
        }
    }

    @Test
    void squareOfProductAtTwoAndThree() {
        try (TensorArena arena = TensorArena.ofConfined("a", 1 << 20)) {
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                Tensor a = arena.scalar(dt, 2).requiresGrad();
                Tensor b = arena.scalar(dt, 3).requiresGrad();
                try (GradientTape tape = GradientTape.record(arena)) {
                    Tensor l = pow(mul(a, b), 2.0);
                    assertEquals(36, l.item(), 1e-6);
                    tape.backward(l);
                }
                assertEquals(36, a.grad().item(), 1e-5, "dL/da for " + dt);
                assertEquals(24, b.grad().item(), 1e-5, "dL/db for " + dt);
            }
        }
    }

    @Test
    void linearLayerGradientsHaveTheRightShapesAndValues() {
        try (TensorArena arena = TensorArena.ofConfined("a", 1 << 20)) {
            // y = x W + b, L = sum(y * c) for a fixed c, so dL/dy = c.
            Tensor x = arena.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor w = arena.fromArray(new double[] {1, 0, -1, 2, 0.5, 0.25}, 3, 2).requiresGrad();
            Tensor b = arena.fromArray(new double[] {0.1, -0.2}, 2).requiresGrad();
            Tensor c = arena.fromArray(new double[] {1, 2, 3, 4}, 2, 2);
            x.requiresGrad();
            try (GradientTape tape = GradientTape.record(arena)) {
                Tensor y = add(matmul(x, w), b);
                assertArrayEquals(new long[] {2, 2}, y.shape());
                assertArrayEquals(new double[] {1 - 2 + 1.5 + 0.1, 0 + 4 + 0.75 - 0.2, 4 - 5 + 3 + 0.1, 0 + 10 + 1.5 - 0.2},
                        y.toDoubleArray(), 1e-12);
                tape.backward(sum(mul(y, c)));
            }
            // dW = x^T c, db = column sums of c, dx = c W^T
            assertArrayEquals(new long[] {3, 2}, w.grad().shape());
            assertArrayEquals(new double[] {1 + 12, 2 + 16, 2 + 15, 4 + 20, 3 + 18, 6 + 24}, w.grad().toDoubleArray(), 1e-12);
            assertArrayEquals(new long[] {2}, b.grad().shape());
            assertArrayEquals(new double[] {4, 6}, b.grad().toDoubleArray(), 1e-12);
            assertArrayEquals(new double[] {1, -1 + 4, 0.5 + 0.5, 3, -3 + 8, 1.5 + 1}, x.grad().toDoubleArray(), 1e-12);
        }
    }
}
