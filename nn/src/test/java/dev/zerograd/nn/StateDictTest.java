package dev.zerograd.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.nn.io.SafeTensors;
import dev.zerograd.nn.io.SafeTensorsException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Names in PyTorch's state_dict order, buffers included, and weights round-tripping through safetensors. */
class StateDictTest {
    @TempDir
    Path dir;

    /** A module with its own parameter and named children, as user models are written. */
    static final class Net extends Module {
        final Tensor scale;
        final Conv2d conv;
        final BatchNorm2d bn;
        final Linear fc;

        Net(Parameters p) {
            scale = registerParameter("scale", p.empty(1));
            scale.fill(1);
            conv = registerModule("conv", new Conv2d(p, 1, 2, 3, 1, 1));
            bn = registerModule("bn", new BatchNorm2d(p, 2));
            registerModule("act", new ReLU());
            fc = registerModule("fc", new Linear(p, 2 * 4 * 4, 3));
        }

        @Override
        public Tensor forward(Tensor x) {
            throw new IllegalStateException("this test module is only used for its state dict");
        }
    }

    @Test
    void namesFollowPyTorch() {
        try (TensorArena arena = TensorArena.ofConfined("p", 1 << 20)) {
            Net net = new Net(Parameters.of(arena, 1));
            assertEquals(List.of("scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias", "fc.weight", "fc.bias"),
                    List.copyOf(net.namedParameters().keySet()));
            assertEquals(List.of("bn.running_mean", "bn.running_var", "bn.num_batches_tracked"),
                    List.copyOf(net.namedBuffers().keySet()));
            assertEquals(List.of("scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                    "bn.num_batches_tracked", "fc.weight", "fc.bias"), List.copyOf(net.stateDict().keySet()));
            assertEquals(List.of("conv", "bn", "act", "fc"), List.copyOf(net.namedChildren().keySet()));
            assertEquals(net.namedParameters(), net.namedParameters());
            // Built once: the same map every time, and registration is closed afterwards.
            assertTrue(net.namedParameters() == net.namedParameters());
            assertThrows(IllegalStateException.class, () -> net.registerParameter("late", arena.zeros(dev.zerograd.memory.DType.F32, 1)));
        }
    }

    @Test
    void registrationRejectsDotsAndDuplicates() {
        try (TensorArena arena = TensorArena.ofConfined("p", 1 << 20)) {
            Module m = new Identity();
            assertThrows(IllegalArgumentException.class, () -> m.registerBuffer("a.b", arena.zeros(dev.zerograd.memory.DType.F32, 1)));
            m.registerBuffer("a", arena.zeros(dev.zerograd.memory.DType.F32, 1));
            assertThrows(IllegalArgumentException.class, () -> m.registerModule("a", new ReLU()));
        }
    }

    @Test
    void saveThenLoadRestoresParametersAndBuffers() throws IOException {
        Path file = dir.resolve("net.safetensors");
        try (TensorArena a = TensorArena.ofConfined("a", 1 << 20); TensorArena b = TensorArena.ofConfined("b", 1 << 20)) {
            Net saved = new Net(Parameters.of(a, 1));
            saved.bn.runningMean().fill(0.25);
            saved.bn.namedBuffers().get("num_batches_tracked").setDouble(17);
            saved.save(file, Map.of("format", "pt"));

            Net loaded = new Net(Parameters.of(b, 2));
            assertTrue(loaded.fc.weight().getFloat(0, 0) != saved.fc.weight().getFloat(0, 0));
            assertEquals(Map.of("format", "pt"), loaded.load(file));
            for (Map.Entry<String, Tensor> e : saved.stateDict().entrySet()) {
                assertArrayEquals(e.getValue().toDoubleArray(), loaded.stateDict().get(e.getKey()).toDoubleArray(), e.getKey());
            }
            assertEquals(17, loaded.bn.numBatchesTracked());

            // A file of another structure is refused before anything changes.
            Path other = dir.resolve("other.safetensors");
            SafeTensors.write(other, new Sequential(new Linear(Parameters.of(b, 3), 4, 2)).stateDict());
            float before = loaded.fc.weight().getFloat(0, 0);
            assertThrows(SafeTensorsException.class, () -> loaded.load(other));
            assertEquals(before, loaded.fc.weight().getFloat(0, 0));
        }
    }
}
