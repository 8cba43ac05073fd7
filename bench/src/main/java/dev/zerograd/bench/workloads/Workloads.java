package dev.zerograd.bench.workloads;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The benchmark suite: every workload the JMH run, the quick suite and the PyTorch comparison know, in the
 * order tables list them. Adding a workload is one line here (a new {@code kind} also needs its class beside
 * these and its function in {@code bench/peers/torch_peer.py}).
 */
public final class Workloads {
    private Workloads() {}

    /** The seed every workload is built with (weights; inputs are {@link Inputs}, independent of it). */
    public static final long SEED = 1;

    public static final List<WorkloadSpec> ALL = List.of(
            WorkloadSpec.of("OpChain", "1,000 elementwise ops on 64 floats, forward + backward",
                    Params.of("kind", "opchain", "ops", "1000", "size", "64"), Figure.NS_PER_OP, OpChain::work,
                    (p, seed) -> new OpChain(p)).target(1.0 / 50),
            mlp("MlpStep", "784-256-256-10 ReLU MLP, batch 128, SGD", 128, "relu", false, "784,256,256,10").target(0.9),
            mlp("MlpWideStep", "1024-2048-2048-1024 ReLU MLP, batch 256, SGD", 256, "relu", false, "1024,2048,2048,1024")
                    .target(0.9).reference("MlpWideGemms", 0.85).asHeavy(),
            gemms("MlpWideGemms", "the 8 GEMMs of one MlpWideStep, bare sgemm", 256, "1024,2048,2048,1024").asHeavy(),
            WorkloadSpec.of("CnnStep", "Fashion-MNIST CNN (2 conv + 2 linear), batch 64, SGD",
                    Params.of("kind", "cnn", "batch", "64"), Figure.NONE, p -> 0, Cnn::open).target(1.0).asHeavy(),
            mlp("DeepMlp", "32 x (Linear(1024, 1024) + tanh), batch 256, SGD", 256, "tanh", true, repeat(1024, 33)).asHeavy(),
            sgemm(64),
            sgemm(256),
            sgemm(1024),
            sgemm(2048).asHeavy());

    /** The workload named {@code name}. */
    public static WorkloadSpec get(String name) {
        for (WorkloadSpec s : ALL) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no workload '" + name + "'; known: " + names(ALL));
    }

    /** The workloads whose names match {@code regex} (the whole name), in suite order; fails when none does. */
    public static List<WorkloadSpec> matching(String regex) {
        Pattern p = Pattern.compile(regex);
        List<WorkloadSpec> found = ALL.stream().filter(s -> p.matcher(s.name()).matches()).toList();
        if (found.isEmpty()) {
            throw new IllegalArgumentException("no workload matches '" + regex + "'; known: " + names(ALL));
        }
        return found;
    }

    public static String names(List<WorkloadSpec> specs) {
        return specs.stream().map(WorkloadSpec::name).collect(Collectors.joining(", "));
    }

    private static WorkloadSpec mlp(String name, String description, int batch, String act, boolean actLast, String sizes) {
        return WorkloadSpec.of(name, description, Params.of("kind", "mlp", "batch", Integer.toString(batch), "sizes", sizes, "act", act,
                "actLast", Boolean.toString(actLast)), Figure.GFLOPS, Mlp::work, Mlp::open);
    }

    private static WorkloadSpec gemms(String name, String description, int batch, String sizes) {
        return WorkloadSpec.of(name, description, Params.of("kind", "mlpgemms", "batch", Integer.toString(batch), "sizes", sizes),
                Figure.GFLOPS, Mlp::work, (p, seed) -> new MlpGemms(p));
    }

    private static WorkloadSpec sgemm(int n) {
        return WorkloadSpec.of("Sgemm" + n, "C = A B, square f32, n = " + n + ", bare sgemm",
                Params.of("kind", "sgemm", "n", Integer.toString(n)), Figure.GFLOPS, Sgemm::work, (p, seed) -> new Sgemm(p));
    }

    private static String repeat(int size, int times) {
        String[] a = new String[times];
        Arrays.fill(a, Integer.toString(size));
        return String.join(",", a);
    }
}
