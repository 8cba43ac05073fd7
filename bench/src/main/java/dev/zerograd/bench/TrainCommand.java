package dev.zerograd.bench;

import dev.zerograd.kernels.GemmBackend;
import dev.zerograd.kernels.Parallel;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.nn.Models;
import dev.zerograd.nn.Module;
import dev.zerograd.nn.data.Batch;
import dev.zerograd.nn.data.BatchLoader;
import dev.zerograd.nn.data.Dataset;
import dev.zerograd.nn.data.FashionMnist;
import dev.zerograd.nn.optim.Adam;
import dev.zerograd.nn.optim.CosineAnnealingLR;
import dev.zerograd.nn.optim.LrSchedule;
import dev.zerograd.nn.optim.Optimizer;
import dev.zerograd.nn.optim.SGD;
import dev.zerograd.tape.GradientTape;
import dev.zerograd.tape.Ops;
import dev.zerograd.tape.Tape;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The main job: trains a model on Fashion-MNIST, showing per epoch the training loss, test accuracy,
 * throughput, heap bytes allocated per steady-state step (0), garbage collections (0) and the step arena's
 * peak, then writes a PNG plot and a JSON summary.
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a model on Fashion-MNIST.")
final class TrainCommand implements Callable<Integer> {
    enum ModelKind { mlp, cnn }

    enum OptimizerKind { adam, sgd }

    @Option(names = "--model", description = "mlp or cnn (default: ${DEFAULT-VALUE})")
    ModelKind model = ModelKind.cnn;

    @Option(names = "--epochs", description = "passes over the training set (default: ${DEFAULT-VALUE})")
    int epochs = 5;

    @Option(names = "--batch", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch = 64;

    @Option(names = "--lr", description = "learning rate (default: 1e-3 for adam, 0.05 for sgd)")
    Double lr;

    @Option(names = "--optimizer", description = "adam or sgd (momentum 0.9) (default: ${DEFAULT-VALUE})")
    OptimizerKind optimizer = OptimizerKind.adam;

    @Option(names = "--threads", description = "threads for kernels and OpenBLAS (default: all cores)")
    Integer threads;

    @Option(names = "--seed", description = "seed for weights and shuffling (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--data", description = "directory with the Fashion-MNIST .gz files (default: ${DEFAULT-VALUE})")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--save", description = "write the trained weights to this safetensors file")
    Path save;

    @Option(names = "--out", description = "directory for the plot and the JSON summary (default: ${DEFAULT-VALUE})")
    Path out = Path.of("runs");

    @Option(names = "--limit", description = "use only the first N training examples (quick runs)")
    Integer limit;

    @Option(names = "--no-progress", description = "no progress bar (logs and CI)")
    boolean noProgress;

    @Option(names = "--alloc-trace", description = "print the first N steps of each epoch that allocated on the heap")
    int allocTrace;

    @Option(names = "--warmup", description = "training steps on a throwaway model before training (then 10 times as "
            + "many on batches of 2), so the JIT has compiled the step before anything is measured (default: ${DEFAULT-VALUE})")
    int warmup = 300;

    @Override
    public Integer call() throws Exception {
        if (epochs < 1 || batch < 1) {
            throw new IllegalArgumentException("train: --epochs and --batch must be positive, got " + epochs + " and " + batch);
        }
        int nThreads = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        Parallel.setThreads(nThreads);
        GemmBackend.setThreads(nThreads);
        double rate = lr != null ? lr : optimizer == OptimizerKind.adam ? 1e-3 : 0.05;

        System.out.printf("zerograd train: %s on Fashion-MNIST, %d epochs, batch %d, %s lr %g, %d threads, seed %d%n",
                model, epochs, batch, optimizer, rate, nThreads, seed);
        try (FashionMnist fm = FashionMnist.load(data);
             Module net = model == ModelKind.cnn ? Models.cnn(seed) : Models.mlp(seed);
             TensorArena step = TensorArena.ofConfined("step", Defaults.STEP_ARENA_BYTES)) {
            Dataset train = fm.train();
            Dataset test = fm.test();
            BatchLoader loader = limit == null
                    ? new BatchLoader(train, BatchLoader.Options.shuffled(batch, seed))
                    : new BatchLoader(train.images().slice(0, 0, limit), train.labels().slice(0, 0, limit),
                            BatchLoader.Options.shuffled(batch, seed));
            BatchLoader testLoader = new BatchLoader(test, BatchLoader.Options.sequential(1000));
            System.out.printf("model: %d parameters; data: %d training, %d test examples from %s%n",
                    net.parameterCount(), loader.size(), test.size(), data);

            List<Tensor> params = net.parameters();
            Optimizer opt = optimizer(params, rate);
            opt.setSchedule(new CosineAnnealingLR(epochs, rate * 0.01), LrSchedule.Unit.EPOCH);

            List<Map<String, Object>> history = new ArrayList<>();
            Batch b = new Batch();
            warmUp(train, testLoader, step, b);
            long trainStart = System.nanoTime();
            for (int epoch = 0; epoch < epochs; epoch++) {
                opt.setEpoch(epoch);
                loader.startEpoch(epoch);
                net.train();
                long gcBefore = gcCount();
                step.resetPeak();
                double lossSum = 0;
                long examples = 0;
                StepHeap heap = new StepHeap("epoch " + (epoch + 1), allocTrace);
                long start = System.nanoTime();
                Stepper stepper = new Stepper(net, opt, step, loader, heap);
                try (ProgressBar bar = progressBar("epoch " + (epoch + 1) + "/" + epochs, loader.batches())) {
                    while (stepper.next()) {
                        lossSum += stepper.loss * stepper.size;
                        examples += stepper.size;
                        if (bar != null) {
                            bar.step();
                        }
                    }
                }
                heap.finish();
                double seconds = (System.nanoTime() - start) / 1e9;
                long gcs = gcCount() - gcBefore;
                double accuracy = evaluate(net, testLoader, step, b);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("epoch", epoch + 1);
                row.put("train_loss", lossSum / examples);
                row.put("test_accuracy", accuracy);
                row.put("examples_per_second", examples / seconds);
                row.put("seconds", seconds);
                row.put("heap_bytes_per_step", heap.steadyBytesPerStep());
                row.put("steady_steps", heap.steadySteps());
                row.put("allocating_steps", heap.allocatingSteps());
                row.put("jit_steps", heap.jitSteps());
                row.put("jit_step_heap_bytes", heap.jitBytes());
                row.put("gc_collections", gcs);
                row.put("arena_peak_bytes", step.peakBytes());
                row.put("lr", opt.lr());
                history.add(row);
                System.out.printf("epoch %d/%d  loss %.4f  test accuracy %.2f%%  %.0f examples/s  heap %d B/step  GCs %d  arena peak %.1f MiB%n",
                        epoch + 1, epochs, lossSum / examples, 100 * accuracy, examples / seconds,
                        (long) row.get("heap_bytes_per_step"), gcs, step.peakBytes() / 1048576.0);
                if (heap.jitSteps() > 0) {
                    System.out.printf("           (heap over %d steady steps; %d steps overlapped JIT compilation and allocated %d B in all)%n",
                            heap.steadySteps(), heap.jitSteps(), heap.jitBytes());
                }
            }
            double total = (System.nanoTime() - trainStart) / 1e9;
            System.out.printf("trained in %.1f s; final test accuracy %.2f%%%n", total,
                    100 * (double) history.get(history.size() - 1).get("test_accuracy"));
            if (save != null) {
                net.save(save, Map.of("model", model.name(), "epochs", Integer.toString(epochs), "seed", Long.toString(seed)));
                System.out.println("weights: " + save.toAbsolutePath());
            }
            Files.createDirectories(out);
            Path png = out.resolve("train-" + model + ".png");
            Path json = out.resolve("train-" + model + ".json");
            Reports.trainingPlot(history, model.name(), png);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("model", model.name());
            summary.put("parameters", net.parameterCount());
            summary.put("optimizer", optimizer.name());
            summary.put("lr", rate);
            summary.put("batch", batch);
            summary.put("epochs", epochs);
            summary.put("threads", nThreads);
            summary.put("seed", seed);
            summary.put("training_examples", loader.size());
            summary.put("wall_seconds", total);
            summary.put("jdk", Runtime.version().toString());
            summary.put("history", history);
            Reports.writeJson(summary, json);
            System.out.println("plot: " + png.toAbsolutePath() + "\nsummary: " + json.toAbsolutePath());
        }
        return 0;
    }

    private Optimizer optimizer(List<Tensor> params, double rate) {
        return optimizer == OptimizerKind.adam ? new Adam(params, rate) : new SGD(params, rate, 0.9);
    }

    /**
     * One measured training step: heap bytes are read around exactly the work of a step (arena reset, batch
     * copy, forward, loss, backward, optimizer update), in one method that the warm-up has had the JIT compile.
     */
    private static final class Stepper {
        private final Module net;
        private final Optimizer opt;
        private final TensorArena step;
        private final BatchLoader loader;
        private final StepHeap heap;
        private final Batch b = new Batch();
        double loss;
        int size;

        Stepper(Module net, Optimizer opt, TensorArena step, BatchLoader loader, StepHeap heap) {
            this.net = net;
            this.opt = opt;
            this.step = step;
            this.loader = loader;
            this.heap = heap;
        }

        /** Runs the loader's next batch; false at the end of the epoch. */
        boolean next() {
            heap.begin();
            step.reset();
            if (!loader.next(step, b)) {
                return false;
            }
            try (GradientTape tape = GradientTape.record(step)) {
                Tensor l = Ops.crossEntropy(net.forward(b.x()), b.y());
                tape.backward(l);
                loss = l.item();
            }
            opt.step();
            opt.zeroGrad(true); // the next backward pass writes the gradients (Note [Released gradients] in Tensor)
            size = b.size();
            heap.end();
            return true;
        }
    }

    /**
     * Note [Training warm-up]: trains a throwaway model of the same kind (other seed, own optimizer of the same
     * kind) through the same {@link Stepper}, first {@code warmup} steps on full batches, then
     * {@value #TINY_STEPS_PER_WARMUP} times as many on batches of {@value #TINY_BATCH}, and evaluates it once, so
     * that C2 has compiled every method of the step, including those called once per step, before anything is
     * measured. C2 compiles a method after several thousand calls, and while it installs compiled code the JVM
     * allocates a few hundred bytes to a few KB on the calling thread (measured: a loop of nothing but
     * {@code TensorArena.reset()} shows it under C2, never with -Xint or C1 only); without this, those JVM
     * allocations land in the first epochs' steps. The tiny batches make the thousands of calls cheap. The model
     * that is trained and its data order are exactly as without it.
     *
     * <p>C2 may still finish a compilation during training (a method called once per step reaches its threshold
     * late). Steps that overlap one are not steady state ({@link StepHeap}, Note [Steps that overlap the JIT]):
     * the epoch line's heap bytes per step are over the other steps, and a second line says how many steps
     * overlapped compilation and what they allocated, so nothing is hidden.
     */
    private void warmUp(Dataset train, BatchLoader testLoader, TensorArena step, Batch b) {
        if (warmup <= 0) {
            return;
        }
        long start = System.nanoTime();
        int rows = (int) Math.min(train.size(), Math.max(batch, 4096));
        try (Module twin = model == ModelKind.cnn ? Models.cnn(seed + 1) : Models.mlp(seed + 1)) {
            Optimizer o = optimizer(twin.parameters(), 1e-4);
            Tensor images = train.images().slice(0, 0, rows);
            Tensor labels = train.labels().slice(0, 0, rows);
            BatchLoader full = new BatchLoader(images, labels, BatchLoader.Options.shuffled(batch, seed + 1));
            BatchLoader tiny = new BatchLoader(images, labels, BatchLoader.Options.shuffled(TINY_BATCH, seed + 1));
            StepHeap unmeasured = new StepHeap();
            run(new Stepper(twin, o, step, full, unmeasured), full, warmup);
            run(new Stepper(twin, o, step, tiny, unmeasured), tiny, TINY_STEPS_PER_WARMUP * warmup);
            run(new Stepper(twin, o, step, full, unmeasured), full, warmup / 10 + 1);
            evaluate(twin, testLoader, step, b);
        }
        step.reset();
        System.out.printf("warm-up: %d steps of %d and %d of %d examples on a throwaway model in %.1f s (JIT compilation)%n",
                warmup + warmup / 10 + 1, batch, TINY_STEPS_PER_WARMUP * warmup, TINY_BATCH, (System.nanoTime() - start) / 1e9);
    }

    private static final int TINY_BATCH = 2;
    private static final int TINY_STEPS_PER_WARMUP = 10;

    private static void run(Stepper s, BatchLoader loader, int steps) {
        int epoch = 0;
        loader.startEpoch(epoch);
        for (int i = 0; i < steps; ) {
            if (s.next()) {
                i++;
            } else {
                loader.startEpoch(++epoch);
            }
        }
    }

    private ProgressBar progressBar(String task, long steps) {
        if (noProgress) {
            return null;
        }
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(steps).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250).showSpeed().build();
    }

    /** Accuracy over the test set, in eval mode, recording nothing. */
    private static double evaluate(Module net, BatchLoader testLoader, TensorArena step, Batch b) {
        net.eval();
        long correct = 0;
        long total = 0;
        testLoader.startEpoch(0);
        try (Tape.Guard g = Tape.inferenceMode()) {
            while (true) {
                step.reset();
                if (!testLoader.next(step, b)) {
                    break;
                }
                Tensor predicted = Ops.argmax(net.forward(b.x()), 1, false);
                Tensor labels = b.y();
                for (long i = 0, n = labels.numel(); i < n; i++) {
                    if (predicted.getDoubleFlat(i) == labels.getDoubleFlat(i)) {
                        correct++;
                    }
                }
                total += labels.numel();
            }
        }
        step.reset();
        net.train();
        return (double) correct / total;
    }

    private static long gcCount() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }
}
