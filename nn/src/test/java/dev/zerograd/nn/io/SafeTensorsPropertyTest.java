package dev.zerograd.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Random sets of tensors (any dtype, rank 0 to 4, empty dims, transposed views) survive a write and a read. */
class SafeTensorsPropertyTest {

    /** One tensor to write: dtype, shape, a seed for its values, and whether to write it through a transpose. */
    record Spec(DType dtype, long[] shape, long seed, boolean transposed) {}

    @Provide
    Arbitrary<List<Spec>> specs() {
        Arbitrary<long[]> shapes = Arbitraries.longs().between(0, 4).array(long[].class).ofMaxSize(4);
        Arbitrary<Spec> spec = Combinators.combine(Arbitraries.of(DType.class), shapes, Arbitraries.longs(), Arbitraries.of(true, false))
                .as(Spec::new);
        return spec.list().ofMaxSize(6);
    }

    private static double value(DType dtype, long seed, long i) {
        long h = (seed + i) * 0x9E3779B97F4A7C15L;
        int small = (int) (h >>> 56) - 128; // exact in every dtype
        return dtype.isFloatingPoint() ? small * 0.25 : small;
    }

    @Property(tries = 60)
    void writeThenReadGivesTheSameTensors(@ForAll("specs") List<Spec> specs) throws IOException {
        Path file = Files.createTempFile("zerograd-property", ".safetensors");
        try (TensorArena arena = TensorArena.ofConfined("property", 1 << 20)) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            List<Tensor> logical = new ArrayList<>();
            for (int k = 0; k < specs.size(); k++) {
                Spec s = specs.get(k);
                Tensor t = arena.empty(s.dtype(), s.shape());
                for (long i = 0; i < t.numel(); i++) {
                    t.setDoubleFlat(i, value(s.dtype(), s.seed(), i));
                }
                Tensor written = s.transposed() && t.rank() >= 2 ? t.transpose(0, t.rank() - 1) : t;
                tensors.put("t" + k, written);
                logical.add(written);
            }
            SafeTensors.write(file, tensors, Map.of("n", Integer.toString(specs.size())));
            SafeTensorsHeader header = SafeTensors.readHeader(file);
            for (SafeTensorsHeader.Entry e : header.entries()) {
                assertEquals(0, (header.dataStart() + e.begin()) % e.dtype().byteSize(), "aligned: " + e);
            }
            SafeTensors.Contents back = SafeTensors.read(file, arena);
            assertEquals(Map.of("n", Integer.toString(specs.size())), back.metadata());
            assertEquals(specs.size(), back.tensors().size());
            for (int k = 0; k < specs.size(); k++) {
                Tensor expected = logical.get(k);
                Tensor actual = back.tensor("t" + k);
                assertEquals(expected.dtype(), actual.dtype());
                assertArrayEquals(expected.shape(), actual.shape());
                for (long i = 0; i < expected.numel(); i++) {
                    assertEquals(expected.getDoubleFlat(i), actual.getDoubleFlat(i), 0.0);
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
