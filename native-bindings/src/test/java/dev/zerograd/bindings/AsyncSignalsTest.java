package dev.zerograd.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** AsyncSignals: the calling thread's mask holds the asynchronous signals, not the synchronous ones, and comes back. */
class AsyncSignalsTest {
    private static int blocked(MemorySegment mask, int signal) {
        return Signals.sigismember(mask, signal);
    }

    @Test
    void blockHoldsAsynchronousSignalsAndRestorePutsTheMaskBack() {
        assertTrue(AsyncSignals.supported());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment before = arena.allocate(Signals.SIGSET_BYTES, 8), during = arena.allocate(Signals.SIGSET_BYTES, 8);
            MemorySegment after = arena.allocate(Signals.SIGSET_BYTES, 8);
            assertEquals(0, Signals.pthread_sigmask(Signals.SIG_BLOCK, MemorySegment.NULL, before));
            AsyncSignals.block();
            try {
                assertEquals(0, Signals.pthread_sigmask(Signals.SIG_BLOCK, MemorySegment.NULL, during));
            } finally {
                AsyncSignals.restore();
            }
            assertEquals(0, Signals.pthread_sigmask(Signals.SIG_BLOCK, MemorySegment.NULL, after));
            for (int async : new int[] {Signals.SIGPROF, Signals.SIGUSR2, Signals.SIGQUIT}) {
                assertEquals(1, blocked(during, async), "signal " + async + " held during the call");
                assertEquals(blocked(before, async), blocked(after, async), "signal " + async + " as before afterwards");
            }
            for (int sync : new int[] {Signals.SIGSEGV, Signals.SIGBUS, Signals.SIGFPE, Signals.SIGILL}) {
                assertEquals(blocked(before, sync), blocked(during, sync), "signal " + sync + " untouched");
            }
        }
    }
}
