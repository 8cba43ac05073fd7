package dev.zerograd.bench.compare;

import dev.zerograd.bench.workloads.Workload;
import dev.zerograd.bench.workloads.WorkloadSpec;
import dev.zerograd.bench.workloads.Workloads;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs each workload in zerograd and in a peer engine within one run, alternating the two, and compares the
 * median step times.
 *
 * <p>Note [Alternating rounds]: the machine is shared and its clock drifts, so two engines timed one after
 * the other can see different machines. Per workload, both engines first warm up (zerograd for the warm-up time
 * and then until a few steps in a row allocate nothing and finish no JIT compilation, i.e. C2 has compiled
 * what the step runs, at most a minute), then run {@code rounds} rounds of zerograd steps, peer steps, zerograd steps, ..., each
 * round at least {@code roundSeconds} and {@code roundMinSteps} steps. Every step is timed alone by its own
 * engine (System.nanoTime / time.perf_counter_ns) and each engine's figure is the median over all its rounds'
 * steps. The ratio is zerograd's median over the peer's: below 1 zerograd is faster. zerograd's heap bytes per
 * step are measured around each measured step, over the steps no JIT compilation overlapped (the others are
 * counted apart, see {@link Sampler}), and garbage collections over the whole measured phase.
 * A workload with a reference (MlpWideStep against the bare GEMMs of MlpWideGemms) runs its reference in the
 * same rounds (workload, reference, peer, ...): measured a minute apart, the two saw different loads and the
 * fraction swung between 72 % and 116 %.
 */
public final class Comparison {
    /** How long each phase runs, for light and heavy (10 ms or more per step) workloads. */
    public record Settings(double warmupSeconds, double peerWarmupSeconds, int warmupSteps, int rounds, double roundSeconds,
            int roundMinSteps, int roundMaxSteps) {
        public Settings {
            if (rounds < 1 || roundMinSteps < 1 || roundMaxSteps < roundMinSteps || warmupSteps < 0) {
                throw new IllegalArgumentException("Comparison.Settings: rounds " + rounds + ", round steps " + roundMinSteps + ".."
                        + roundMaxSteps + " and warm-up steps " + warmupSteps + " must be positive and ordered");
            }
        }

        /** Many short rounds: other jobs' load comes in bursts of seconds, and both engines should see each burst. */
        public static Settings quick(boolean heavy) {
            return heavy ? new Settings(3, 1.5, 3, 6, 0.5, 1, 1000) : new Settings(4, 2, 20, 12, 0.2, 3, 20_000);
        }

        public static Settings full(boolean heavy) {
            return heavy ? new Settings(10, 5, 5, 16, 1.0, 2, 1000) : new Settings(15, 5, 50, 30, 0.4, 5, 50_000);
        }
    }

    /** One workload's outcome. Times in seconds; ratio = zerograd / peer. */
    public record Row(WorkloadSpec spec, double zerogradSeconds, double peerSeconds, int zerogradSteps, int peerSteps,
            long heapBytesPerStep, long gcs, double referenceSeconds, Map<String, Object> metrics) {
        public double ratio() {
            return zerogradSeconds / peerSeconds;
        }

        /** Whether the ratio meets the spec's target; null without a target. */
        public Boolean met() {
            return Double.isNaN(spec.target()) ? null : ratio() <= spec.target();
        }
    }

    /** The longest zerograd warm-up of one workload, waiting for steps that allocate nothing (see {@link Sampler#warmUp}). */
    static final double MAX_WARMUP_SECONDS = 60;

    private Comparison() {}

    /** Compares {@code spec} (with its own parameters) against the peer. */
    public static Row run(WorkloadSpec spec, PeerProcess peer, Settings s) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        WorkloadSpec refSpec = spec.reference() == null ? null : Workloads.get(spec.reference());
        try (Workload w = spec.open(Workloads.SEED); Workload ref = refSpec == null ? null : refSpec.open(Workloads.SEED)) {
            peer.setup(spec.name(), spec.params(), Workloads.SEED);
            Sampler zg = new Sampler(s.rounds() * s.roundMaxSteps());
            Sampler zgRef = new Sampler(s.rounds() * s.roundMaxSteps());
            zg.warmUp(w, s.warmupSteps(), s.warmupSeconds(), MAX_WARMUP_SECONDS);
            if (ref != null) {
                zgRef.warmUp(ref, s.warmupSteps(), s.peerWarmupSeconds(), MAX_WARMUP_SECONDS);
            }
            peer.run(s.warmupSteps(), s.peerWarmupSeconds(), 1_000_000);
            List<long[]> peerTimes = new ArrayList<>();
            long gcBefore = gcCount();
            for (int r = 0; r < s.rounds(); r++) {
                zg.run(w, s.roundMinSteps(), s.roundSeconds(), s.roundMaxSteps(), true);
                if (ref != null) {
                    zgRef.run(ref, s.roundMinSteps(), s.roundSeconds(), s.roundMaxSteps(), true);
                }
                peerTimes.add(peer.run(s.roundMinSteps(), s.roundSeconds(), s.roundMaxSteps()).timesNs());
            }
            long gcs = gcCount() - gcBefore;
            peer.closeWorkload();
            long[] z = zg.times();
            long[] p = peerTimes.stream().flatMapToLong(java.util.Arrays::stream).toArray();
            w.metrics(metrics);
            metrics.put("jit_steps", zg.jitSteps());
            metrics.put("jit_step_heap_bytes", zg.jitBytes());
            double refSeconds = ref == null ? Double.NaN : Sampler.medianSeconds(zgRef.times());
            return new Row(spec, Sampler.medianSeconds(z), Sampler.medianSeconds(p), z.length, p.length, zg.steadyBytesPerStep(), gcs, refSeconds,
                    metrics);
        }
    }

    static long gcCount() {
        long n = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, b.getCollectionCount());
        }
        return n;
    }
}
