package dev.zerograd.bench.jmh;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.nn.Sequential;
import dev.zerograd.nn.optim.SGD;
import dev.zerograd.tape.GradientTape;
import dev.zerograd.tape.Ops;

/**
 * One training step of a model (forward, cross-entropy, backward, SGD update) on fixed random inputs and
 * labels 0..9: the shared body of the model step benchmarks, which choose the model and the input shape.
 */
abstract class StepBenchState {
    private Sequential model;
    private SGD sgd;
    private TensorArena data;
    private TensorArena step;
    private Tensor x;
    private Tensor y;

    /** The model under test (it owns its parameter arena). */
    abstract Sequential model();

    /** The input batch's shape. */
    abstract long[] inputShape();

    final void open() {
        model = model();
        sgd = new SGD(model.parameters(), 0.01);
        data = TensorArena.ofConfined("data", 16 << 20);
        step = TensorArena.ofConfined("step", 512L << 20);
        long[] shape = inputShape();
        x = data.randn(DType.F32, shape, 2);
        y = data.empty(DType.I64, shape[0]);
        for (int i = 0; i < shape[0]; i++) {
            y.setDoubleFlat(i, i % 10);
        }
    }

    final void close() {
        step.close();
        data.close();
        model.close();
    }

    /** One step; returns the loss so the work is not eliminated. */
    final double runStep() {
        step.reset();
        double loss;
        try (GradientTape tape = GradientTape.record(step)) {
            Tensor l = Ops.crossEntropy(model.forward(x), y);
            tape.backward(l);
            loss = l.item();
        }
        sgd.step();
        sgd.zeroGrad();
        return loss;
    }
}
