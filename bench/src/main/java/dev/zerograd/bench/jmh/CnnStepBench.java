package dev.zerograd.bench.jmh;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.nn.Models;
import dev.zerograd.nn.Sequential;
import dev.zerograd.nn.optim.SGD;
import dev.zerograd.tape.GradientTape;
import dev.zerograd.tape.Ops;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One training step of the default Fashion-MNIST CNN (see Models.cnn) on a batch of 64: forward,
 * cross-entropy, backward and an SGD update, with fixed random inputs and labels.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CnnStepBench {
    public static final int BATCH = 64;

    private Sequential model;
    private SGD sgd;
    private TensorArena data;
    private TensorArena step;
    private Tensor x;
    private Tensor y;

    @Setup(Level.Trial)
    public void setup() {
        model = Models.cnn(1);
        sgd = new SGD(model.parameters(), 0.01);
        data = TensorArena.ofConfined("data", 8 << 20);
        step = TensorArena.ofConfined("step", 64L << 20);
        x = data.randn(DType.F32, new long[] {BATCH, 1, 28, 28}, 2);
        y = data.empty(DType.I64, BATCH);
        for (int i = 0; i < BATCH; i++) {
            y.setDoubleFlat(i, i % 10);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        step.close();
        data.close();
        model.close();
    }

    @Benchmark
    public double trainStep() {
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
