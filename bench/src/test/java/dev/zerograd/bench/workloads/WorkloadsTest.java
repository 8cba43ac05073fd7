package dev.zerograd.bench.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every workload of the suite runs (on tiny shapes) and allocates nothing once warm; the registry's look-ups,
 * the work per step and the derived figures.
 */
class WorkloadsTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final int ROUND = 200;
    private static final long DEADLINE_SECONDS = 60;

    /** Heap bytes of a round of steps once warm (rounds repeat until one allocates nothing or the deadline). */
    private static long steadyStateBytes(Workload w) {
        long tid = Thread.currentThread().threadId();
        long deadline = System.nanoTime() + DEADLINE_SECONDS * 1_000_000_000L;
        while (true) {
            long before = THREADS.getThreadAllocatedBytes(tid);
            for (int i = 0; i < ROUND; i++) {
                w.step();
            }
            long bytes = THREADS.getThreadAllocatedBytes(tid) - before;
            if (bytes == 0 || System.nanoTime() > deadline) {
                return bytes;
            }
        }
    }

    /**
     * A tanh MLP whose activations take the large (vector, parallel) kernels, stepped after a CNN in the same
     * JVM, allocates nothing once warm. The CNN's steps compile the shared vector dispatch methods with their
     * own ops first; when tanh and its gradient product lived in those methods, the recompiled code boxed
     * vectors and this MLP allocated tens of MB per step (Note [Vector code shape] in the kernels module).
     */
    @Test
    void aTanhMlpAfterACnnAllocatesNothingOnceWarm() {
        try (Workload cnn = Cnn.open(Params.of("kind", "cnn", "batch", "16"), Workloads.SEED)) {
            for (int i = 0; i < 150; i++) {
                cnn.step();
            }
        }
        Params p = Params.of("kind", "mlp", "batch", "64", "sizes", "512,512,512,512", "act", "tanh", "actLast", "true");
        try (Workload mlp = Mlp.open(p, Workloads.SEED)) {
            assertEquals(0, steadyStateBytes(mlp), "heap bytes per " + ROUND + " steps of a tanh MLP after a CNN");
        }
    }

    /**
     * One tiny instance per implementation (the sgemm sizes share one). The CNN keeps its 28x28 input, too large
     * for C2 to finish compiling its kernels quickly on a busy machine: it is stepped here, and a CNN training
     * step's zero allocation is asserted in nn's AllocationTest on small images.
     */
    @Test
    void everyWorkloadStepsAndAllocatesNothingOnceWarm() {
        Set<String> seenKinds = new HashSet<>();
        for (WorkloadSpec s : Workloads.ALL) {
            if (!seenKinds.add(s.params().kind() + s.params().values().getOrDefault("act", ""))) {
                continue;
            }
            try (Workload w = Tiny.open(s)) {
                double v = w.step();
                assertTrue(Double.isFinite(v), s.name() + ": step value " + v);
                if (!s.params().kind().equals("cnn")) {
                    assertEquals(0, steadyStateBytes(w), "heap bytes per " + ROUND + " steps of " + s.name() + " " + Tiny.of(s.params()));
                }
            }
        }
    }

    @Test
    void trainingStepsLowerTheLoss() {
        for (String name : List.of("MlpStep", "DeepMlp")) {
            try (Workload w = Tiny.open(Workloads.get(name))) {
                double first = w.step();
                double last = first;
                for (int i = 0; i < 50; i++) {
                    last = w.step();
                }
                assertTrue(last < first, name + ": loss " + first + " -> " + last + " after 50 SGD steps on a fixed batch");
            }
        }
    }

    @Test
    void modelStepsReportTheirStepArenaPeak() {
        WorkloadSpec deep = Workloads.get("DeepMlp");
        Params tiny = Tiny.of(deep.params());
        try (Workload w = deep.factory().open(tiny, 1)) {
            w.step();
            Map<String, Object> m = new LinkedHashMap<>();
            w.metrics(m);
            long peak = ((Number) m.get("step_arena_peak_bytes")).longValue();
            // 32 layers, each keeping at least its [batch, 6] output alive until backward.
            long activations = 32L * 4 * 6 * Float.BYTES;
            assertTrue(peak >= activations, "DeepMlp step arena peak " + peak + " B, expected at least " + activations);
        }
    }

    @Test
    void registryNamesAreUniqueAndFound() {
        Set<String> names = new HashSet<>();
        for (WorkloadSpec s : Workloads.ALL) {
            assertTrue(names.add(s.name()), "duplicate workload " + s.name());
            assertEquals(s, Workloads.get(s.name()));
        }
        assertEquals(List.of("Sgemm64", "Sgemm256", "Sgemm1024", "Sgemm2048"),
                Workloads.matching("Sgemm.*").stream().map(WorkloadSpec::name).toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workloads.get("Nope"));
        assertTrue(e.getMessage().contains("Nope") && e.getMessage().contains("MlpWideStep"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Workloads.matching("Nope.*"));
    }

    @Test
    void theIssueShapesAndTargets() {
        assertEquals("1024,2048,2048,1024", Workloads.get("MlpWideStep").params().string("sizes"));
        assertEquals(256, Workloads.get("MlpWideStep").params().integer("batch"));
        assertEquals(33, Workloads.get("DeepMlp").params().integers("sizes").length);
        assertEquals("tanh", Workloads.get("DeepMlp").params().string("act"));
        assertEquals(0.02, Workloads.get("OpChain").target(), 1e-12);
        assertEquals(0.9, Workloads.get("MlpStep").target());
        assertEquals(1.0, Workloads.get("CnnStep").target());
        assertEquals("MlpWideGemms", Workloads.get("MlpWideStep").reference());
        assertEquals(Workloads.get("MlpWideStep").work(), Workloads.get("MlpWideGemms").work());
    }

    @Test
    void workPerStep() {
        // MlpWideStep: layer 1 forward + weight gradient only (4 b i o), layers 2 and 3 all three products (6 b i o).
        double b = 256;
        double expected = 4 * b * 1024 * 2048 + 6 * b * 2048 * 2048 + 6 * b * 2048 * 1024;
        assertEquals(expected, Workloads.get("MlpWideStep").work());
        assertEquals(2.0 * 2048 * 2048 * 2048, Workloads.get("Sgemm2048").work());
        assertEquals(1000, Workloads.get("OpChain").work());
    }

    @Test
    void derivedFigures() {
        assertEquals(1000, Figure.NS_PER_OP.value(1e-3, 1000), 1e-9);
        assertEquals("1000 ns/op", Figure.NS_PER_OP.format(1e-3, 1000));
        assertEquals(4, Figure.GFLOPS.value(0.5, 2e9), 1e-12);
        assertEquals("4.0 GFLOP/s", Figure.GFLOPS.format(0.5, 2e9));
        assertEquals("", Figure.NONE.format(0.5, 0));
        assertTrue(Double.isNaN(Figure.NONE.value(0.5, 0)));
        assertThrows(IllegalArgumentException.class, () -> Figure.GFLOPS.value(0, 1));
    }

    @Test
    void badParametersNameTheWorkloadAndTheKey() {
        Params p = Workloads.get("MlpStep").params().with("sizes", "784");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workloads.get("MlpStep").factory().open(p, 1));
        assertTrue(e.getMessage().contains("sizes=784"), e.getMessage());
        Params q = Workloads.get("MlpStep").params().with("act", "gelu");
        e = assertThrows(IllegalArgumentException.class, () -> Workloads.get("MlpStep").factory().open(q, 1));
        assertTrue(e.getMessage().contains("act=gelu"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Params.of("batch", "4"));
        assertTrue(e.getMessage().contains("kind"), e.getMessage());
    }
}
