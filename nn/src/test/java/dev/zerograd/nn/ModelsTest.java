package dev.zerograd.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.nn.optim.AdamW;
import dev.zerograd.nn.optim.SGD;
import dev.zerograd.tape.GradientTape;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The training job's default models: sizes, names, output shapes, seeded determinism, arena ownership. */
class ModelsTest {
    @Test
    void mlpHasTheDocumentedParameters() {
        try (Sequential mlp = Models.mlp(42)) {
            assertEquals(Models.MLP_PARAMETERS, mlp.parameterCount());
            assertEquals(269_322, mlp.parameterCount());
            assertEquals(List.of("1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"),
                    List.copyOf(mlp.namedParameters().keySet()));
            assertArrayEquals(new long[] {256, 784}, mlp.namedParameters().get("1.weight").shape());
            assertArrayEquals(new long[] {10, 256}, mlp.namedParameters().get("5.weight").shape());
            assertEquals(mlp.namedParameters(), mlp.stateDict());
        }
    }

    @Test
    void cnnHasTheDocumentedParameters() {
        try (Sequential cnn = Models.cnn(42)) {
            assertEquals(Models.CNN_PARAMETERS, cnn.parameterCount());
            assertEquals(421_642, cnn.parameterCount());
            assertEquals(List.of("0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"),
                    List.copyOf(cnn.namedParameters().keySet()));
            Map<String, Tensor> named = cnn.namedParameters();
            assertArrayEquals(new long[] {32, 1, 3, 3}, named.get("0.weight").shape());
            assertArrayEquals(new long[] {64, 32, 3, 3}, named.get("3.weight").shape());
            assertArrayEquals(new long[] {128, 3136}, named.get("7.weight").shape());
            assertArrayEquals(new long[] {10, 128}, named.get("9.weight").shape());
            assertTrue(cnn.toString().startsWith("Sequential(\n  (0): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"),
                    cnn.toString());
        }
    }

    @Test
    @SuppressWarnings("try") // a guard or tape in force for the body, which need not name it
    void bothModelsGiveTenLogitsPerImage() {
        try (Sequential mlp = Models.mlp(1);
             Sequential cnn = Models.cnn(1);
             TensorArena data = TensorArena.ofConfined("data", 1 << 20);
             TensorArena step = TensorArena.ofConfined("step", 64 << 20)) {
            Tensor images = data.randn(new long[] {3, 1, 28, 28}, 5);
            Tensor flat = images.reshape(3, 784);
            try (GradientTape tape = GradientTape.record(step)) {
                assertArrayEquals(new long[] {3, 10}, mlp.forward(images).shape());
                assertArrayEquals(new long[] {3, 10}, mlp.forward(flat).shape());
                assertArrayEquals(new long[] {3, 10}, cnn.forward(images).shape());
            }
        }
    }

    @Test
    void theSeedFixesTheWeights() {
        try (Sequential a = Models.cnn(7); Sequential b = Models.cnn(7); Sequential c = Models.cnn(8)) {
            for (String name : a.namedParameters().keySet()) {
                float[] wa = a.namedParameters().get(name).toFloatArray();
                assertArrayEquals(wa, b.namedParameters().get(name).toFloatArray(), name);
                assertFalse(Arrays.equals(wa, c.namedParameters().get(name).toFloatArray()), name);
            }
            // Layers draw different seeds: the uniforms behind the two conv biases (bounds 1/3 and 1/sqrt(288)) differ.
            double u0 = a.namedParameters().get("0.bias").getDouble(0) * 3;
            double u3 = a.namedParameters().get("3.bias").getDouble(0) * Math.sqrt(288);
            assertTrue(Math.abs(u0 - u3) > 1e-4, u0 + " vs " + u3);
        }
    }

    @Test
    void anOwnedArenaHoldsGradientsAndTwoOptimizersState() {
        try (Sequential cnn = Models.cnn(2)) {
            for (Tensor p : cnn.parameters()) {
                p.setGrad(cnn.ownedArena().zerosLike(p));
            }
            new AdamW(cnn.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0.01, true).step();
            new SGD(cnn.parameters(), 0.1, 0.9, 0, 0, true).step();
            assertTrue(cnn.ownedArena().bytesInUse() <= cnn.ownedArena().capacity());
        }
    }

    @Test
    void aModelBuiltFromASeedOwnsAndClosesItsArena() {
        Sequential mlp = Models.mlp(3);
        Tensor w = mlp.parameters().get(0);
        assertTrue(mlp.ownedArena() != null && !mlp.ownedArena().isClosed());
        mlp.close();
        assertTrue(mlp.ownedArena().isClosed());
        assertThrows(IllegalStateException.class, w::toFloatArray);
    }
}
