package dev.zerograd.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerograd.bench.workloads.Figure;
import dev.zerograd.bench.workloads.Params;
import dev.zerograd.bench.workloads.Workload;
import dev.zerograd.bench.workloads.WorkloadSpec;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The real peer script through the real protocol with any python3, torch or not: its {@code spin} workload is
 * pure Python. Also the comparison harness end to end against it, and the median.
 */
class PeerProtocolTest {
    /** zerograd's side of "spin": the same loop of n additions. */
    private static final class Spin implements Workload {
        private final int n;

        Spin(Params p) {
            n = p.integer("n");
        }

        @Override
        public double step() {
            long s = 0;
            for (int i = 0; i < n; i++) {
                s += i;
            }
            return s;
        }

        @Override
        public void close() {}
    }

    private static PeerProcess start() {
        Path python = Peers.anyPython();
        assumeTrue(python != null, "no python3 on this machine");
        return PeerProcess.start(python, Peers.SCRIPT, 2);
    }

    @Test
    void helloSetupRunCloseQuit() {
        try (PeerProcess peer = start()) {
            JsonNode hello = peer.hello(2);
            assertTrue(hello.path("engine").asText().matches("torch|python"), hello.toString());
            assertTrue(hello.has("python"), hello.toString());
            peer.setup("Spin", Params.of("kind", "spin", "n", "1000"), 1);
            PeerProcess.Run r = peer.run(5, 0, 100);
            assertEquals(5, r.timesNs().length);
            for (long t : r.timesNs()) {
                assertTrue(t > 0, "step time " + t);
            }
            assertEquals(999.0 * 1000 / 2, r.value());
            PeerProcess.Run capped = peer.run(1, 10.0, 3);
            assertEquals(3, capped.timesNs().length, "max_steps caps a run before min_seconds");
            peer.closeWorkload();
        }
    }

    @Test
    void failuresAreReportedAndThePeerStaysUsable() {
        try (PeerProcess peer = start()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> peer.setup("X", Params.of("kind", "nope"), 1));
            assertTrue(e.getMessage().contains("unknown kind") && e.getMessage().contains("spin"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> peer.run(1, 0, 1));
            assertTrue(e.getMessage().contains("no workload"), e.getMessage());
            peer.setup("Spin", Params.of("kind", "spin", "n", "10"), 1);
            assertEquals(45.0, peer.run(1, 0, 1).value());
        }
    }

    @Test
    void aMissingScriptSaysWhere() {
        Path python = Peers.anyPython();
        assumeTrue(python != null, "no python3 on this machine");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PeerProcess.start(python, Path.of("no", "such", "peer.py"), 2));
        assertTrue(e.getMessage().contains("peer.py"), e.getMessage());
    }

    @Test
    void theHarnessAlternatesAndTakesMedians() {
        WorkloadSpec spin = WorkloadSpec.of("Spin", "a loop of additions", Params.of("kind", "spin", "n", "20000"), Figure.NS_PER_OP,
                p -> p.integer("n"), (p, seed) -> new Spin(p));
        Comparison.Settings s = new Comparison.Settings(0.05, 0.05, 3, 3, 0.02, 4, 50);
        try (PeerProcess peer = start()) {
            Comparison.Row r = Comparison.run(spin, peer, s);
            assertTrue(r.zerogradSteps() >= 3 * 4 && r.zerogradSteps() <= 3 * 50, "zerograd steps " + r.zerogradSteps());
            assertTrue(r.peerSteps() >= 3 * 4 && r.peerSteps() <= 3 * 50, "peer steps " + r.peerSteps());
            assertTrue(r.zerogradSeconds() > 0 && r.peerSeconds() > 0, r.toString());
            assertEquals(r.zerogradSeconds() / r.peerSeconds(), r.ratio());
            assertEquals(null, r.met(), "no target, no verdict");
            assertTrue(Double.isNaN(r.referenceSeconds()), "no reference, no reference time");
            // A JIT-compiled Java loop beats CPython's interpreted one by far on any machine.
            assertTrue(r.ratio() < 1, "Java/Python ratio " + r.ratio());
        }
    }

    @Test
    void aReferenceRunsInTheSameRounds() {
        WorkloadSpec spin = WorkloadSpec.of("Spin", "a loop of additions", Params.of("kind", "spin", "n", "20000"), Figure.GFLOPS,
                p -> p.integer("n"), (p, seed) -> new Spin(p)).reference("Sgemm64", 0.5);
        Comparison.Settings s = new Comparison.Settings(0.05, 0.05, 3, 2, 0.02, 2, 20);
        try (PeerProcess peer = start()) {
            Comparison.Row r = Comparison.run(spin, peer, s);
            assertTrue(r.referenceSeconds() > 0 && r.referenceSeconds() < 1, "Sgemm64 reference " + r.referenceSeconds() + " s");
        }
    }

    @Test
    void median() {
        assertEquals(2e-9, Sampler.medianSeconds(new long[] {3, 1, 2}));
        assertEquals(2.5e-9, Sampler.medianSeconds(new long[] {4, 1, 3, 2}));
        assertThrows(IllegalArgumentException.class, () -> Sampler.medianSeconds(new long[0]));
    }
}
