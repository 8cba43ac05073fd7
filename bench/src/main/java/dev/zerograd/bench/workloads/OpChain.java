package dev.zerograd.bench.workloads;

import static dev.zerograd.tape.Ops.add;
import static dev.zerograd.tape.Ops.mul;
import static dev.zerograd.tape.Ops.sub;
import static dev.zerograd.tape.Ops.sum;
import static dev.zerograd.tape.Ops.tanh;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.tape.GradientTape;

/**
 * Per-op overhead: a chain of {@code ops} elementwise ops on {@code size} floats (mul, add, tanh, sub in turn),
 * summed, then backward through all of them. The figure is ns per op (record + forward + backward), the one
 * the project is judged on against PyTorch eager. Parameters: {@code ops}, {@code size}.
 */
public final class OpChain implements Workload {
    private final int ops;
    private final TensorArena params;
    private final TensorArena step;
    private final Tensor x;
    private final Tensor a;
    private final Tensor b;

    public OpChain(Params p) {
        ops = p.integer("ops");
        int size = p.integer("size");
        params = TensorArena.ofConfined("opchain-params", 1 << 20);
        try {
            step = TensorArena.ofConfined("opchain-step", Math.max(64L << 20, 4L * ops * (256 + 8L * size)));
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
        x = params.empty(DType.F32, size).requiresGrad();
        Inputs.fill(x);
        a = params.full(DType.F32, 1.001, size);
        b = params.full(DType.F32, 0.01, size);
    }

    /** Ops per step: the chain's length (the final sum is not counted). */
    public static double work(Params p) {
        return p.integer("ops");
    }

    @Override
    public double step() {
        step.reset();
        double loss;
        try (GradientTape tape = GradientTape.record(step, 2 * ops + 16)) {
            Tensor y = x;
            for (int i = 0; i < ops; i++) {
                switch (i & 3) {
                    case 0 -> y = mul(y, a);
                    case 1 -> y = add(y, b);
                    case 2 -> y = tanh(y);
                    default -> y = sub(y, b);
                }
            }
            Tensor l = sum(y);
            tape.backward(l);
            loss = l.item();
        }
        x.grad().fill(0);
        return loss;
    }

    @Override
    public void close() {
        step.close();
        params.close();
    }
}
