package dev.zerograd.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.tape.GradientTape;
import dev.zerograd.tape.Ops;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LinearTest {
    private final TensorArena params = TensorArena.ofConfined("params", 16 << 20);
    private final TensorArena step = TensorArena.ofConfined("step", 16 << 20);

    @AfterEach
    void close() {
        step.close();
        params.close();
    }

    @Test
    void parameterCountShapesAndNames() {
        Linear fc = new Linear(Parameters.of(params, 1), 784, 256);
        assertEquals(200_960, fc.parameterCount());
        assertEquals(List.of("weight", "bias"), List.copyOf(fc.namedParameters().keySet()));
        assertArrayEquals(new long[] {256, 784}, fc.weight().shape());
        assertArrayEquals(new long[] {256}, fc.bias().shape());
        assertTrue(fc.weight().needsGrad() && fc.bias().needsGrad());

        Linear noBias = new Linear(Parameters.of(params, 1), 10, 3, false);
        assertEquals(30, noBias.parameterCount());
        assertNull(noBias.bias());
        assertEquals(List.of("weight"), List.copyOf(noBias.namedParameters().keySet()));
    }

    @Test
    @SuppressWarnings("try") // a guard or tape in force for the body, which need not name it
    void forwardIsXTimesWTransposedPlusB() {
        Linear fc = new Linear(Parameters.of(params, DType.F64, 7), 3, 2);
        Tensor x = params.fromArray(new double[] {1, 2, 3, -1, 0.5, 4}, 2, 3);
        Tensor y;
        try (GradientTape tape = GradientTape.record(step)) {
            y = fc.forward(x);
        }
        assertArrayEquals(new long[] {2, 2}, y.shape());
        for (int n = 0; n < 2; n++) {
            for (int o = 0; o < 2; o++) {
                double e = fc.bias().getDouble(o);
                for (int i = 0; i < 3; i++) {
                    e += x.getDouble(n, i) * fc.weight().getDouble(o, i);
                }
                assertEquals(e, y.getDouble(n, o), 1e-12);
            }
        }
    }

    @Test
    @SuppressWarnings("try") // a guard or tape in force for the body, which need not name it
    void batchedInputKeepsLeadingDims() {
        Linear fc = new Linear(Parameters.of(params, 3), 4, 5);
        Tensor x = params.randn(new long[] {2, 3, 4}, 9);
        try (GradientTape tape = GradientTape.record(step)) {
            assertArrayEquals(new long[] {2, 3, 5}, fc.forward(x).shape());
        }
    }

    @Test
    void gradientsReachWeightAndBias() {
        Linear fc = new Linear(Parameters.of(params, DType.F64, 5), 3, 2);
        Tensor x = params.fromArray(new double[] {1, 2, 3, -1, 0.5, 4}, 2, 3);
        try (GradientTape tape = GradientTape.record(step)) {
            tape.backward(Ops.sum(fc.forward(x)));
        }
        // d(sum y)/dW[o, i] = sum_n x[n, i]; d/db[o] = N.
        for (int o = 0; o < 2; o++) {
            assertEquals(2.0, fc.bias().grad().getDouble(o), 1e-12);
            for (int i = 0; i < 3; i++) {
                assertEquals(x.getDouble(0, i) + x.getDouble(1, i), fc.weight().grad().getDouble(o, i), 1e-12);
            }
        }
    }

    @Test
    void wrongInputShapeNamesTheLayer() {
        Linear fc = new Linear(Parameters.of(params, 1), 4, 2);
        Tensor x = params.zeros(DType.F32, 2, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fc.forward(x));
        assertTrue(e.getMessage().contains("Linear(4, 2)") && e.getMessage().contains("[2, 5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Linear(Parameters.of(params, 1), 0, 2));
    }
}
