package dev.zerograd.bench.workloads;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.nn.Module;
import dev.zerograd.nn.optim.SGD;
import dev.zerograd.tape.GradientTape;
import dev.zerograd.tape.Ops;
import java.util.Map;

/**
 * One SGD training step of a model (step arena reset, forward, cross-entropy against fixed labels, backward,
 * SGD update with lr 0.01 and no momentum, gradients set to none) on {@link Inputs}: the body shared by the
 * model-step workloads, which choose the model and the shapes. The peer script's step does the same with
 * {@code torch.optim.SGD(lr=0.01)} and {@code zero_grad(set_to_none=True)}, PyTorch's default since 2.0; here
 * {@code zeroGrad(true)} keeps the buffers for the next backward pass to write into (Note [Released gradients]
 * in {@code Tensor}).
 */
abstract class ModelStep implements Workload {
    private final Module model;
    private final TensorArena paramArena;
    private final SGD sgd;
    private final TensorArena data;
    private final TensorArena step;
    private final Tensor x;
    private final Tensor y;

    /**
     * @param model      the model; its parameters live in {@code paramArena} (or an arena the model owns, when null)
     * @param paramArena closed with this workload, or null
     * @param input      the batch's shape
     * @param classes    labels are {@code i mod classes}
     * @param stepBytes  the step arena's capacity
     */
    ModelStep(Module model, TensorArena paramArena, long[] input, int classes, long stepBytes) {
        this.model = model;
        this.paramArena = paramArena;
        this.sgd = new SGD(model.parameters(), 0.01);
        long inputs = 1;
        for (long d : input) {
            inputs *= d;
        }
        this.data = TensorArena.ofConfined("bench-data", 4 * inputs + 8 * input[0] + (1 << 20));
        this.step = TensorArena.ofConfined("bench-step", stepBytes);
        this.x = data.empty(DType.F32, input);
        Inputs.fill(x);
        this.y = data.empty(DType.I64, input[0]);
        Inputs.labels(y, classes);
    }

    @Override
    public final double step() {
        step.reset();
        double loss;
        try (GradientTape tape = GradientTape.record(step)) {
            Tensor l = Ops.crossEntropy(model.forward(x), y);
            tape.backward(l);
            loss = l.item();
        }
        sgd.step();
        sgd.zeroGrad(true);
        return loss;
    }

    /** {@code step_arena_peak_bytes}: activations, their gradients and temporaries of one step at their peak. */
    @Override
    public void metrics(Map<String, Object> out) {
        out.put("step_arena_peak_bytes", step.peakBytes());
    }

    @Override
    public final void close() {
        step.close();
        data.close();
        model.close();
        if (paramArena != null) {
            paramArena.close();
        }
    }
}
