package dev.zerograd.bench.workloads;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.nn.Linear;
import dev.zerograd.nn.Module;
import dev.zerograd.nn.Parameters;
import dev.zerograd.nn.ReLU;
import dev.zerograd.nn.Sequential;
import dev.zerograd.nn.Tanh;
import java.util.ArrayList;
import java.util.List;

/**
 * An SGD step of an MLP: {@code Linear(sizes[i], sizes[i+1])} layers with {@code act} (relu or tanh) between
 * them, and after the last one too when {@code actLast}; cross-entropy over {@code sizes[last]} classes.
 * Parameters: {@code batch}, {@code sizes} (comma-separated), {@code act}, {@code actLast}.
 * MlpStep (784-256-256-10), MlpWideStep (1024-2048-2048-1024) and DeepMlp (32 x 1024, tanh) are all this.
 */
final class Mlp extends ModelStep {
    private Mlp(Module model, TensorArena params, long[] input, int classes, long stepBytes) {
        super(model, params, input, classes, stepBytes);
    }

    static Mlp open(Params p, long seed) {
        int batch = p.integer("batch");
        int[] sizes = p.integers("sizes");
        String act = p.string("act");
        boolean actLast = p.flag("actLast");
        if (!act.equals("relu") && !act.equals("tanh")) {
            throw new IllegalArgumentException("workload mlp: act=" + act + ", expected relu or tanh");
        }
        long weights = 0;
        long activations = 0;
        for (int i = 0; i + 1 < sizes.length; i++) {
            weights += (long) sizes[i] * sizes[i + 1] + sizes[i + 1];
            activations += (long) batch * sizes[i + 1];
        }
        int layers = sizes.length - 1;
        // Parameters and their gradients (SGD without momentum keeps no state), each tensor 64-byte aligned.
        TensorArena arena = TensorArena.ofShared("mlp-params", 2 * (4 * weights + 2L * layers * TensorArena.ALIGNMENT) + (1 << 20));
        try {
            Parameters params = Parameters.of(arena, DType.F32, seed);
            List<Module> modules = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                modules.add(new Linear(params, sizes[i], sizes[i + 1]));
                if (i + 1 < layers || actLast) {
                    modules.add(act.equals("relu") ? new ReLU() : new Tanh());
                }
            }
            Sequential model = new Sequential(modules.toArray(Module[]::new));
            // A step holds per layer a few [batch, out] activations and gradients, and a weight-sized gradient
            // before it is accumulated into the parameter's own buffer.
            long stepBytes = 4 * (8 * activations + 2 * weights) + (16L << 20);
            return new Mlp(model, arena, new long[] {batch, sizes[0]}, sizes[layers], stepBytes);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * GEMM FLOPs of one step: per layer {@code 2 batch in out} each for the forward product, the weight gradient
     * and the input gradient, except the first layer's input gradient (the input needs none). Bias, activation,
     * loss and update FLOPs are a fraction of a percent at these sizes and not counted.
     */
    static double work(Params p) {
        int batch = p.integer("batch");
        int[] s = p.integers("sizes");
        double flops = 0;
        for (int i = 0; i + 1 < s.length; i++) {
            flops += (i == 0 ? 4.0 : 6.0) * batch * s[i] * s[i + 1];
        }
        return flops;
    }
}
