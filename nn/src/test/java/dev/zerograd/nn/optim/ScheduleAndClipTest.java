package dev.zerograd.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Learning-rate schedules, their use by an optimizer, and gradient clipping. */
class ScheduleAndClipTest {
    private final TensorArena arena = TensorArena.ofConfined("params", 1 << 20);

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void stepLrDecaysEveryStepSize() {
        StepLR s = new StepLR(3, 0.1);
        double[] expected = {1, 1, 1, 0.1, 0.1, 0.1, 0.01};
        for (int t = 0; t < expected.length; t++) {
            assertEquals(expected[t], s.lr(1.0, t), 1e-15, "t = " + t);
        }
        assertEquals(0.5 * Math.pow(0.9, 7), new ExponentialLR(0.9).lr(0.5, 7), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new StepLR(0, 0.1));
    }

    @Test
    void cosineAnnealingGoesFromBaseToEtaMin() {
        CosineAnnealingLR s = new CosineAnnealingLR(10, 0.001);
        assertEquals(0.1, s.lr(0.1, 0), 1e-15);
        assertEquals(0.001 + (0.1 - 0.001) / 2, s.lr(0.1, 5), 1e-15);
        assertEquals(0.001 + (0.1 - 0.001) * (1 + Math.cos(Math.PI * 3 / 10)) / 2, s.lr(0.1, 3), 1e-15);
        assertEquals(0.001, s.lr(0.1, 10), 1e-15);
        assertEquals(0.001, s.lr(0.1, 25), 1e-15);
        for (int t = 1; t <= 10; t++) {
            assertTrue(s.lr(0.1, t) < s.lr(0.1, t - 1), "decreasing at " + t);
        }
    }

    @Test
    void linearWarmupThenCosine() {
        LinearWarmup s = new LinearWarmup(4, 0.25, new CosineAnnealingLR(8, 0));
        assertEquals(0.25, s.lr(1, 0), 1e-15);
        assertEquals(0.4375, s.lr(1, 1), 1e-15);
        assertEquals(0.8125, s.lr(1, 3), 1e-15);
        assertEquals(1.0, s.lr(1, 4), 1e-15);
        assertEquals(0.5, s.lr(1, 8), 1e-15);
        assertEquals(0.0, s.lr(1, 12), 1e-15);
        assertEquals(2.0, new LinearWarmup(2, 0, null).lr(2, 9), 0);
    }

    @Test
    void theOptimizerQueriesItsSchedulePerStepOrPerEpoch() {
        Tensor p = arena.zeros(DType.F64, 1).requiresGrad();
        p.setGrad(arena.full(DType.F64, 1.0, 1));
        SGD sgd = new SGD(List.of(p), 1.0);
        sgd.setSchedule(new StepLR(2, 0.5), LrSchedule.Unit.STEP);
        // Steps use rates 1, 1, 0.5, 0.5, 0.25: p = -(1 + 1 + 0.5 + 0.5 + 0.25).
        double[] rates = {1, 1, 0.5, 0.5, 0.25};
        for (double r : rates) {
            sgd.step();
            assertEquals(r, sgd.lr(), 0);
        }
        assertEquals(-3.25, p.getDouble(0), 1e-15);

        SGD perEpoch = new SGD(List.of(p), 0.1);
        perEpoch.setSchedule(new CosineAnnealingLR(4, 0), LrSchedule.Unit.EPOCH);
        assertEquals(0.1, perEpoch.lr(), 1e-15);
        perEpoch.setEpoch(2);
        assertEquals(0.05, perEpoch.lr(), 1e-15);
        perEpoch.step();
        perEpoch.step();
        assertEquals(0.05, perEpoch.lr(), 1e-15, "constant within an epoch");
        perEpoch.setLr(0.2);
        assertEquals(0.1, perEpoch.lr(), 1e-15);
        assertEquals(0.2, perEpoch.baseLr(), 0);
        perEpoch.setSchedule(null, null);
        assertEquals(0.2, perEpoch.lr(), 0);
    }

    @Test
    void clipGradNormScalesAllGradientsTogether() {
        Tensor a = arena.zeros(DType.F32, 2).requiresGrad();
        Tensor b = arena.zeros(DType.F64, 2, 1).requiresGrad();
        Tensor c = arena.zeros(DType.F32, 3).requiresGrad(); // no gradient: ignored
        a.setGrad(arena.fromArray(new float[] {3, 0}, 2));
        b.setGrad(arena.fromArray(new double[] {0, 4}, 2, 1));
        double norm = GradClip.clipGradNorm(List.of(a, b, c), 1.0);
        assertEquals(5.0, norm, 1e-12);
        double coef = 1.0 / (5.0 + 1e-6);
        assertArrayEquals(new float[] {(float) (3 * coef), 0}, a.grad().toFloatArray(), 1e-7f);
        assertArrayEquals(new double[] {0, 4 * coef}, b.grad().toDoubleArray(), 1e-12);

        // Under the limit: untouched, and the norm still reported.
        assertEquals(1.0, GradClip.clipGradNorm(new Tensor[] {a, b}, 10.0), 1e-5);
        assertArrayEquals(new double[] {0, 4 * coef}, b.grad().toDoubleArray(), 1e-12);

        // Through the optimizer.
        SGD sgd = new SGD(List.of(a, b), 0.1);
        b.grad().fill(30);
        assertEquals(Math.sqrt(9 * coef * coef + 1800), sgd.clipGradNorm(0.5), 1e-5);
        assertEquals(0.5, GradClip.clipGradNorm(List.of(a, b), 1e9), 1e-5);

        // A non-finite norm leaves the gradients as they are.
        b.grad().setDouble(0, 0, Double.POSITIVE_INFINITY);
        assertEquals(Double.POSITIVE_INFINITY, GradClip.clipGradNorm(List.of(a, b), 1.0));
        assertEquals(Double.POSITIVE_INFINITY, b.grad().getDouble(0, 0));

        GradClip.clipGradValue(List.of(a, b), 0.1);
        assertEquals(0.1, b.grad().getDouble(0, 0), 0);
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(List.of(a), -1));
    }
}
