package dev.zerograd.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.tape.GradientTape;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Training and evaluation modes: dropout and batch norm, and the mode reaching every descendant. */
class TrainEvalTest {
    private final TensorArena params = TensorArena.ofConfined("params", 4 << 20);
    private final TensorArena step = TensorArena.ofConfined("step", 16 << 20);

    @AfterEach
    void close() {
        step.close();
        params.close();
    }

    @SuppressWarnings("try") // a guard or tape in force for the body, which need not name it
    private Tensor run(Module m, Tensor x) {
        try (GradientTape tape = GradientTape.record(step)) {
            return m.forward(x);
        }
    }

    @Test
    void modePropagatesToDescendants() {
        Dropout inner = new Dropout(0.5, 1);
        Sequential s = new Sequential(new Sequential(new ReLU(), inner), new Identity());
        assertTrue(inner.isTraining());
        s.eval();
        assertFalse(inner.isTraining());
        assertFalse(s.get(0).isTraining());
        s.train();
        assertTrue(inner.isTraining() && s.get(1).isTraining());
    }

    @Test
    void dropoutIsTheIdentityInEvalAndSeededInTraining() {
        Tensor x = params.full(DType.F32, 1.0, 64, 64);
        Dropout d = new Dropout(0.25, 99);
        d.eval();
        assertSame(x, d.forward(x));
        assertEquals(0, d.calls());

        d.train();
        float[] first = run(d, x).toFloatArray();
        float[] second = run(d, x).toFloatArray();
        assertEquals(2, d.calls());
        int zeros = 0;
        for (float v : first) {
            assertTrue(v == 0f || Math.abs(v - 1 / 0.75f) < 1e-6, "kept values are scaled by 1/(1-p): " + v);
            zeros += v == 0f ? 1 : 0;
        }
        assertEquals(0.25, zeros / 4096.0, 0.03);
        assertFalse(Arrays.equals(first, second), "each call draws a new stream");

        // Same seed, same call number: the same mask; a new layer replays it, setCalls resumes it.
        Dropout replay = new Dropout(0.25, 99);
        assertArrayEquals(first, run(replay, x).toFloatArray());
        replay.setCalls(1);
        assertArrayEquals(second, run(replay, x).toFloatArray());
        assertFalse(Arrays.equals(first, run(new Dropout(0.25, 100), x).toFloatArray()), "another seed, another mask");
        assertSame(x, new Dropout(0.0, 1).forward(x));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.0, 1));
    }

    @Test
    void batchNormUpdatesRunningStatsInTrainingAndUsesThemInEval() {
        Parameters p = Parameters.of(params, DType.F64, 1);
        BatchNorm2d bn = new BatchNorm2d(p, 2);
        // Channel 0 holds 1..8, channel 1 holds 10 * (1..8): means 4.5 and 45, unbiased variances 6 and 600.
        double[] v = new double[16];
        for (int n = 0; n < 2; n++) {
            for (int k = 0; k < 4; k++) {
                v[n * 8 + k] = n * 4 + k + 1;
                v[n * 8 + 4 + k] = 10 * (n * 4 + k + 1);
            }
        }
        Tensor x = params.fromArray(v, 2, 2, 2, 2);
        run(bn, x);
        assertEquals(1, bn.numBatchesTracked());
        assertEquals(0.45, bn.runningMean().getDouble(0), 1e-12);
        assertEquals(4.5, bn.runningMean().getDouble(1), 1e-12);
        assertEquals(0.9 + 0.1 * 6, bn.runningVar().getDouble(0), 1e-12);
        assertEquals(0.9 + 0.1 * 600, bn.runningVar().getDouble(1), 1e-12);
        run(bn, x);
        assertEquals(2, bn.numBatchesTracked());
        assertEquals(0.9 * 0.45 + 0.45, bn.runningMean().getDouble(0), 1e-12);

        bn.eval();
        Tensor y = run(bn, x);
        assertEquals(2, bn.numBatchesTracked(), "evaluation changes nothing");
        double mean = bn.runningMean().getDouble(1);
        double var = bn.runningVar().getDouble(1);
        assertEquals((x.getDouble(1, 1, 1, 0) - mean) / Math.sqrt(var + 1e-5), y.getDouble(1, 1, 1, 0), 1e-12);
        assertEquals(0.9 * 0.45 + 0.45, bn.runningMean().getDouble(0), 1e-12);
    }

    @Test
    void batchNormWithoutMomentumKeepsACumulativeAverage() {
        BatchNorm2d bn = new BatchNorm2d(Parameters.of(params, DType.F64, 1), 1, 1e-5, Double.NaN, true, true);
        Tensor a = params.fromArray(new double[] {1, 3}, 2, 1, 1, 1);
        Tensor b = params.fromArray(new double[] {5, 7}, 2, 1, 1, 1);
        run(bn, a);
        run(bn, b);
        // Momentum 1/1 then 1/2: the mean of the batch means and of the unbiased batch variances.
        assertEquals(4.0, bn.runningMean().getDouble(0), 1e-12);
        assertEquals(2.0, bn.runningVar().getDouble(0), 1e-12);
    }
}
