package dev.zerograd.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerograd.bench.workloads.Params;
import dev.zerograd.bench.workloads.Tiny;
import dev.zerograd.bench.workloads.Workload;
import dev.zerograd.bench.workloads.WorkloadSpec;
import dev.zerograd.bench.workloads.Workloads;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch peer runs every workload of the suite (tiny shapes) through the real protocol, where Debian's
 * python3 has torch; and on the op chain, whose inputs and ops are identical on both sides, the two engines
 * compute the same loss.
 */
class TorchPeerTest {
    private static PeerProcess peer;
    private static JsonNode hello;

    @BeforeAll
    static void startPeer() {
        assumeTrue(Peers.hasTorch(Peers.SYSTEM_PYTHON), Peers.SYSTEM_PYTHON + " cannot import torch (apt-get install python3-torch)");
        peer = PeerProcess.start(Peers.SYSTEM_PYTHON, Peers.SCRIPT, 2);
        hello = peer.hello(2);
    }

    @AfterAll
    static void stopPeer() {
        if (peer != null) {
            peer.close();
        }
    }

    @Test
    void everyWorkloadRunsInThePeer() {
        assertEquals("torch", hello.path("engine").asText(), hello.toString());
        assertEquals(2, hello.path("threads").asInt(), hello.toString());
        assertTrue(hello.path("blas").path("libraries").isArray(), hello.toString());
        for (WorkloadSpec s : Workloads.ALL) {
            peer.setup(s.name(), Tiny.of(s.params()), Workloads.SEED);
            PeerProcess.Run r = peer.run(2, 0, 2);
            assertEquals(2, r.timesNs().length, s.name());
            assertTrue(Double.isFinite(r.value()), s.name() + ": value " + r.value());
            peer.closeWorkload();
        }
    }

    @Test
    void theOpChainComputesTheSameLossInBothEngines() {
        WorkloadSpec chain = Workloads.get("OpChain");
        Params p = chain.params().with("ops", "40").with("size", "16");
        double zerograd;
        try (Workload w = chain.factory().open(p, Workloads.SEED)) {
            zerograd = w.step();
        }
        peer.setup("OpChain", p, Workloads.SEED);
        double torch = peer.run(1, 0, 1).value();
        assertEquals(torch, zerograd, 1e-4 * Math.abs(torch), "the op chain's loss, PyTorch vs zerograd");
    }
}
