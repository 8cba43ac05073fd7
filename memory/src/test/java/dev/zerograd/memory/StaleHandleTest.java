package dev.zerograd.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Note [Stale handles]: every use of a handle after its arena was reset or closed fails with a clear message. */
class StaleHandleTest {

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "expected \"" + part + "\" in: " + message);
        }
    }

    /** Every kind of use of {@code t}, each of which must fail with the stale-handle exception. */
    private static List<Executable> uses(TensorArena arena, Tensor t) {
        List<Executable> uses = new ArrayList<>();
        uses.add(t::checkValid);
        uses.add(t::item);
        uses.add(() -> t.getDouble(0));
        uses.add(() -> t.getFloat(0));
        uses.add(() -> t.setDouble(0, 1.0));
        uses.add(() -> t.getDoubleFlat(0));
        uses.add(() -> t.setDoubleFlat(0, 1.0));
        uses.add(() -> t.getDouble(new long[] {0}));
        uses.add(() -> t.fill(0.0));
        uses.add(() -> t.fill(3.0));
        uses.add(t::toFloatArray);
        uses.add(t::toDoubleArray);
        uses.add(t::toLongArray);
        uses.add(t::segment);
        uses.add(() -> t.reshape(1));
        uses.add(() -> t.transpose(0, 0));
        uses.add(() -> t.permute(0));
        uses.add(() -> t.slice(0, 0, 1));
        uses.add(() -> t.expand(2, 1));
        if (!arena.isClosed()) {
            uses.add(() -> arena.emptyLike(t));
            uses.add(() -> arena.zerosLike(t));
            uses.add(() -> arena.view(t, 1, new long[] {1}, new long[] {1}, 0));
        }
        return uses;
    }

    private static void assertAllUsesFail(TensorArena arena, Tensor t, String... messageParts) {
        assertFalse(t.isValid());
        for (Executable use : uses(arena, t)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, use);
            assertContains(e.getMessage(), messageParts);
        }
        assertEquals("Tensor(stale handle)", t.toString());
    }

    @Test
    void handleUsedAfterResetNamesTheArenaAndBothGenerations() {
        try (TensorArena arena = TensorArena.ofConfined("step", 1 << 16)) {
            Tensor t = arena.full(DType.F32, 1.0, 1);
            assertTrue(t.isValid());
            arena.reset();
            assertAllUsesFail(arena, t, "stale tensor handle", "'step'", "was reset", "handle generation 0",
                    "arena generation 1");
        }
    }

    @Test
    void handleKeptOneResetIsCaughtWhateverTheNewGenerationAllocates() {
        try (TensorArena arena = TensorArena.ofConfined("step", 1 << 20)) {
            List<Tensor> old = new ArrayList<>();
            for (int i = 0; i < 300; i++) { // more than the initial pool: growth must not recycle old handles
                old.add(arena.full(DType.F32, i, 1));
            }
            arena.reset();
            for (int i = 0; i < 600; i++) {
                Tensor fresh = arena.full(DType.F64, -i, 1);
                assertFalse(old.contains(fresh), "a handle of the previous generation was reused");
            }
            for (Tensor t : old) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.getDouble(0));
                assertContains(e.getMessage(), "'step'", "handle generation 0", "arena generation 1");
            }
        }
    }

    @Test
    void handleFreedByResetToMarkIsCaught() {
        try (TensorArena arena = TensorArena.ofConfined("marked", 1 << 16)) {
            Tensor kept = arena.full(DType.F32, 1.0, 1);
            long mark = arena.mark();
            Tensor freed = arena.full(DType.F32, 2.0, 1);
            Tensor freedView = kept.reshape(1);
            arena.reset(mark);
            assertTrue(kept.isValid());
            assertEquals(1.0, kept.getDouble(0));
            assertAllUsesFail(arena, freed, "'marked'", "freed it with reset(mark)", "arena generation 0");
            assertFalse(freedView.isValid(), "a view made after the mark is freed too");
        }
    }

    @Test
    void checkedArenaCatchesHandlesFreedByResetToMarkEvenAfterReallocation() {
        try (TensorArena arena = TensorArena.checked("checked", 1 << 16)) {
            long mark = arena.mark();
            Tensor freed = arena.full(DType.F32, 2.0, 1);
            arena.reset(mark);
            Tensor next = arena.full(DType.F32, 3.0, 1);
            assertTrue(next != freed);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> freed.getDouble(0));
            assertContains(e.getMessage(), "'checked'", "reset(mark)");
            assertEquals(1, arena.handlesInUse());
        }
    }

    @Test
    void checkedArenaCatchesStaleHandlesAfterManyResets() {
        try (TensorArena arena = TensorArena.checked("checked", 1 << 16)) {
            Tensor first = arena.full(DType.F32, 1.0, 4);
            for (int step = 0; step < 1000; step++) {
                arena.reset();
                for (int i = 0; i < 5; i++) {
                    arena.full(DType.F32, step, 4);
                }
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> first.getDouble(0));
            assertContains(e.getMessage(), "'checked'", "handle generation 0", "arena generation 1000");
        }
    }

    @Test
    void handleUsedAfterCloseSaysTheArenaIsClosed() {
        TensorArena arena = TensorArena.ofConfined("gone", 1 << 16);
        Tensor t = arena.full(DType.F32, 1.0, 1);
        arena.close();
        assertAllUsesFail(arena, t, "stale tensor handle", "'gone'", "closed", "handle generation 0",
                "arena generation 1");
    }

    @Test
    void viewOfAnotherArenasTensorDiesWithTheDataArena() {
        try (TensorArena params = TensorArena.ofShared("params", 1 << 16);
             TensorArena step = TensorArena.ofConfined("step", 1 << 16)) {
            Tensor w = params.arange(DType.F32, 0, 6, 1);
            Tensor v = step.view(w, 2, new long[] {2, 3}, new long[] {3, 1}, 0);
            assertTrue(v.arena() == step);
            assertTrue(v.dataArena() == params);
            assertEquals(5.0, v.getDouble(1, 2));
            v.setDouble(0, 0, 42.0);
            assertEquals(42.0, w.getDouble(0), "the view writes into the parameter arena");

            step.reset();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> v.getDouble(0, 0));
            assertContains(e.getMessage(), "'step'", "was reset");
            assertTrue(w.isValid(), "resetting the view's arena leaves the data alone");

            Tensor v2 = step.view(w, 1, new long[] {6}, new long[] {1}, 0);
            params.reset();
            IllegalStateException e2 = assertThrows(IllegalStateException.class, () -> v2.getDouble(0));
            assertContains(e2.getMessage(), "'params'", "was reset", "handle generation 0", "arena generation 1");

            Tensor w3 = params.zeros(DType.F64, 3);
            Tensor v3 = w3.reshape(3);
            Tensor v4 = step.view(v3, 1, new long[] {2}, new long[] {1}, 1);
            params.close();
            IllegalStateException e3 = assertThrows(IllegalStateException.class, () -> v4.getDouble(0));
            assertContains(e3.getMessage(), "'params'", "closed");
            assertTrue(step.zeros(DType.F32, 2).isValid());
        }
    }

    @Test
    void viewsCannotBeMadeOfStaleTensorsOrInClosedArenas() {
        TensorArena data = TensorArena.ofConfined("data", 1 << 16);
        TensorArena views = TensorArena.ofConfined("views", 1 << 16);
        Tensor t = data.zeros(DType.F32, 4);
        views.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class,
                () -> views.view(t, 1, new long[] {4}, new long[] {1}, 0));
        assertContains(closed.getMessage(), "'views'", "closed", "view");
        data.reset();
        TensorArena other = TensorArena.ofConfined("other", 1024);
        assertThrows(IllegalStateException.class, () -> other.view(t, 1, new long[] {4}, new long[] {1}, 0));
        other.close();
        data.close();
    }
}
