package dev.zerograd.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Philox;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.nn.optim.Adam;
import dev.zerograd.nn.optim.CosineAnnealingLR;
import dev.zerograd.nn.optim.LrSchedule;
import dev.zerograd.nn.optim.Optimizer;
import dev.zerograd.nn.optim.SGD;
import dev.zerograd.tape.GradientTape;
import dev.zerograd.tape.Ops;
import dev.zerograd.tape.Tape;
import org.junit.jupiter.api.Test;

/** Short training runs on small synthetic problems: the loss must fall below a threshold. */
class TrainingTest {
    /** One step on a batch: forward, cross-entropy, backward, optional clipping, update, zeroGrad; returns the loss. */
    static double trainStep(Module model, Optimizer opt, TensorArena step, Tensor x, Tensor y, double clip) {
        return trainStep(model, opt, step, x, y, clip, false);
    }

    /** A training step that clears the gradients with {@code opt.zeroGrad(setToNone)}. */
    static double trainStep(Module model, Optimizer opt, TensorArena step, Tensor x, Tensor y, double clip, boolean setToNone) {
        step.reset();
        double loss;
        try (GradientTape tape = GradientTape.record(step)) {
            Tensor l = Ops.crossEntropy(model.forward(x), y);
            tape.backward(l);
            loss = l.item();
        }
        if (clip > 0) {
            opt.clipGradNorm(clip);
        }
        opt.step();
        opt.zeroGrad(setToNone);
        return loss;
    }

    /** Fraction of rows whose arg-max logit is the label, in evaluation mode without recording. */
    @SuppressWarnings("try") // a guard or tape in force for the body, which need not name it
    static double accuracy(Module model, TensorArena step, Tensor x, Tensor y) {
        step.reset();
        model.eval();
        try (Tape.Guard g = Tape.noGrad(); Tape.Guard a = Tape.allocateIn(step)) {
            Tensor pred = Ops.argmax(model.forward(x), 1, false);
            int right = 0;
            for (long i = 0; i < y.numel(); i++) {
                right += pred.getDoubleFlat(i) == y.getDoubleFlat(i) ? 1 : 0;
            }
            return right / (double) y.numel();
        } finally {
            model.train();
        }
    }

    @Test
    void mlpLearnsXor() {
        int n = 256;
        try (TensorArena params = TensorArena.ofConfined("params", 1 << 20);
             TensorArena step = TensorArena.ofConfined("step", 8 << 20)) {
            // Points uniform in [-1, 1]^2, label = (x > 0) xor (y > 0): not linearly separable.
            Tensor x = params.empty(DType.F32, n, 2);
            Tensor y = params.empty(DType.I64, n);
            for (int i = 0; i < n; i++) {
                double a = 2 * Philox.uniformDouble(5, i, 0) - 1;
                double b = 2 * Philox.uniformDouble(5, i, 1) - 1;
                x.setDouble(i, 0, a);
                x.setDouble(i, 1, b);
                y.setDouble(i, (a > 0) != (b > 0) ? 1 : 0);
            }
            Parameters p = Parameters.of(params, 1);
            Sequential model = new Sequential(new Linear(p, 2, 32), new Tanh(), new Linear(p, 32, 32), new ReLU(), new Linear(p, 32, 2));
            Adam opt = new Adam(model.parameters(), 0.03);
            double first = trainStep(model, opt, step, x, y, 0);
            double last = first;
            for (int i = 0; i < 150; i++) {
                last = trainStep(model, opt, step, x, y, 0);
            }
            assertTrue(first > 0.5, "starts near log 2: " + first);
            assertTrue(last < 0.05, "loss after 150 steps: " + last + " (first " + first + ")");
            assertTrue(accuracy(model, step, x, y) > 0.95);
        }
    }

    /** Note [Released gradients]: zeroGrad(true) trains exactly like zeroGrad(), on the GEMM and the copy paths. */
    @Test
    void releasedGradientsTrainExactlyLikeZeroedOnes() {
        int n = 64;
        double[][] finals = new double[2][];
        for (int mode = 0; mode < 2; mode++) {
            try (TensorArena params = TensorArena.ofConfined("params", 1 << 20);
                 TensorArena step = TensorArena.ofConfined("step", 8 << 20)) {
                Tensor x = params.empty(DType.F32, n, 6);
                Tensor y = params.empty(DType.I64, n);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < 6; j++) {
                        x.setDouble(i, j, Philox.normal(3, i, j));
                    }
                    y.setDouble(i, i % 3);
                }
                Parameters p = Parameters.of(params, 4);
                Sequential model = new Sequential(new Linear(p, 6, 16), new Tanh(), new Linear(p, 16, 3));
                SGD opt = new SGD(model.parameters(), 0.1, 0.9, 0, 1e-3, false);
                for (int i = 0; i < 5; i++) {
                    trainStep(model, opt, step, x, y, 1.0, mode == 1);
                    if (mode == 1) {
                        for (Tensor t : model.parameters()) {
                            assertEquals(null, t.grad(), "a released gradient reads as null until the next backward pass");
                        }
                    }
                }
                java.util.List<Double> all = new java.util.ArrayList<>();
                for (Tensor t : model.parameters()) {
                    for (double v : t.toDoubleArray()) {
                        all.add(v);
                    }
                }
                finals[mode] = all.stream().mapToDouble(Double::doubleValue).toArray();
            }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(finals[0], finals[1], 0);
    }

    @Test
    void mlpSeparatesTwoGaussianBlobsWithSgd() {
        int n = 200;
        try (TensorArena params = TensorArena.ofConfined("params", 1 << 20);
             TensorArena step = TensorArena.ofConfined("step", 8 << 20)) {
            Tensor x = params.empty(DType.F64, n, 2);
            Tensor y = params.empty(DType.I32, n);
            for (int i = 0; i < n; i++) {
                int label = i % 2;
                double c = label == 0 ? -1.5 : 1.5;
                x.setDouble(i, 0, c + 0.7 * Philox.normal(9, i, 0));
                x.setDouble(i, 1, -c + 0.7 * Philox.normal(9, i, 1));
                y.setDouble(i, label);
            }
            Parameters p = Parameters.of(params, DType.F64, 2);
            Sequential model = new Sequential(new Linear(p, 2, 8), new ReLU(), new Linear(p, 8, 2));
            SGD opt = new SGD(model.parameters(), 0.1, 0.9, 0, 1e-4, true);
            double last = 0;
            for (int i = 0; i < 100; i++) {
                last = trainStep(model, opt, step, x, y, 5.0);
            }
            assertTrue(last < 0.05, "loss after 100 steps: " + last);
        }
    }

    /** 8x8 images of a horizontal (class 0) or vertical (class 1) bar at a random place, with noise. */
    private static void bars(Tensor x, Tensor y, long seed) {
        int n = (int) y.numel();
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            int at = 1 + (int) (6 * Philox.uniformDouble(seed, i, 0));
            for (int r = 0; r < 8; r++) {
                for (int c = 0; c < 8; c++) {
                    boolean on = label == 0 ? r == at : c == at;
                    x.setDouble(i, 0, r, c, (on ? 1.0 : 0.0) + 0.3 * Philox.normal(seed, i * 64L + r * 8 + c, 1));
                }
            }
            y.setDouble(i, label);
        }
    }

    @Test
    void tinyCnnWithBatchNormAndDropoutLearnsBars() {
        int n = 32;
        try (TensorArena params = TensorArena.ofConfined("params", 4 << 20);
             TensorArena step = TensorArena.ofConfined("step", 32 << 20)) {
            Tensor x = params.empty(DType.F32, n, 1, 8, 8);
            Tensor y = params.empty(DType.I64, n);
            bars(x, y, 3);
            Tensor xTest = params.empty(DType.F32, n, 1, 8, 8);
            Tensor yTest = params.empty(DType.I64, n);
            bars(xTest, yTest, 4);
            Parameters p = Parameters.of(params, 6);
            Sequential model = new Sequential(
                    new Conv2d(p, 1, 4, 3, 1, 1),
                    new BatchNorm2d(p, 4),
                    new ReLU(),
                    new MaxPool2d(2),
                    new Flatten(),
                    new Dropout(p, 0.1),
                    new Linear(p, 4 * 4 * 4, 2));
            Adam opt = new Adam(model.parameters(), 0.02);
            opt.setSchedule(new CosineAnnealingLR(4, 0.002), LrSchedule.Unit.EPOCH);
            double first = Double.NaN;
            double last = 0;
            for (int epoch = 0; epoch < 4; epoch++) {
                opt.setEpoch(epoch);
                for (int i = 0; i < 10; i++) {
                    last = trainStep(model, opt, step, x, y, 0);
                    first = Double.isNaN(first) ? last : first;
                }
            }
            assertTrue(last < 0.05, "loss after 40 steps: " + last + " (first " + first + ")");
            BatchNorm2d bn = (BatchNorm2d) model.get(1);
            assertEquals(40, bn.numBatchesTracked());
            assertTrue(accuracy(model, step, xTest, yTest) > 0.9, "held-out accuracy in eval mode");
            assertEquals(40, bn.numBatchesTracked(), "evaluation does not touch the running statistics");
        }
    }
}
