package dev.zerograd.bench.jmh;

import dev.zerograd.nn.Models;
import dev.zerograd.nn.Sequential;
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

/** One SGD training step of the default Fashion-MNIST CNN ({@link Models#cnn}) on a batch of 64. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CnnStepBench extends StepBenchState {
    public static final int BATCH = 64;

    @Override
    Sequential model() {
        return Models.cnn(1);
    }

    @Override
    long[] inputShape() {
        return new long[] {BATCH, 1, 28, 28};
    }

    @Setup(Level.Trial)
    public void setup() {
        open();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        close();
    }

    @Benchmark
    public double trainStep() {
        return runStep();
    }
}
