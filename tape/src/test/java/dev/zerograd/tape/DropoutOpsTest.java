package dev.zerograd.tape;

import static dev.zerograd.tape.ConvOpsTest.SECOND;
import static dev.zerograd.tape.ConvOpsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.Philox;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Inverted dropout: the mask, the identity in evaluation, the gradient through the saved mask, errors. */
class DropoutOpsTest {
    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("dropout-ops-test", 4 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void keepsElementsByTheCounterBasedMaskAndScalesThem() {
        Tensor x = GradCheck.uniform(arena, 1, -1, 1, 40, 50);
        double p = 0.3;
        Tensor y = Ops.dropout(x, p, 1234, 2, true);
        int kept = 0;
        for (int i = 0; i < 2000; i++) {
            boolean keep = Philox.uniformDouble(1234, i, 2) >= p;
            assertEquals(keep ? x.getDoubleFlat(i) / (1 - p) : 0, y.getDoubleFlat(i), 1e-15);
            kept += keep ? 1 : 0;
        }
        assertEquals(1400, kept, 100, "about 1 - p of the elements are kept");
        assertArrayEquals(y.toDoubleArray(), Ops.dropout(x, p, 1234, 2, true).toDoubleArray(), 0, "same seed, same mask");
        assertTrue(differs(y, Ops.dropout(x, p, 1234, 3, true)), "another stream, another mask");
    }

    private static boolean differs(Tensor a, Tensor b) {
        for (long i = 0; i < a.numel(); i++) {
            if (a.getDoubleFlat(i) != b.getDoubleFlat(i)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void evaluationAndZeroProbabilityReturnTheInputItself() {
        Tensor x = GradCheck.uniform(arena, 2, -1, 1, 3, 4).requiresGrad();
        try (TensorArena step = TensorArena.ofConfined("step", 1 << 20); GradientTape tape = GradientTape.record(step)) {
            assertSame(x, Ops.dropout(x, 0.5, 1, 0, false));
            assertSame(x, Ops.dropout(x, 0, 1, 0, true));
            assertEquals(0, tape.size(), "nothing recorded");
        }
    }

    @Test
    void gradcheckWithAFixedSeed() {
        GradCheck.check("dropout p 0.4, squared", SECOND, in -> Ops.square(Ops.dropout(in[0], 0.4, 99, 1, true)),
                GradCheck.uniform(arena, 3, -1, 1, 3, 5).requiresGrad());
        GradCheck.check("dropout of a transposed view", SECOND, in -> Ops.dropout(in[0], 0.5, 7, 0, true),
                GradCheck.uniform(arena, 4, -1, 1, 4, 3).transpose(0, 1).requiresGrad());
    }

    @Test
    void rejectsProbabilitiesOutsideZeroToOne() {
        Tensor x = GradCheck.uniform(arena, 5, -1, 1, 2, 2);
        assertMessage(() -> Ops.dropout(x, 1.0, 1, 0, true), "dropout", "p = 1.0", "[0, 1)", "f64[2, 2]");
        assertMessage(() -> Ops.dropout(x, -0.1, 1, 0, false), "dropout", "p = -0.1");
    }
}
