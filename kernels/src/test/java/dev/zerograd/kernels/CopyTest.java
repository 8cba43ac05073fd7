package dev.zerograd.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Half;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CopyTest {
    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined(32 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    /** Values every dtype holds exactly, before truncation to integers. */
    private static final double[] VALUES = {0, 1, -1, 2.5, -2.5, 100, -7.75, 65504, 3e-3, 1024};

    private static double expected(double v, DType dt) {
        return switch (dt) {
            case F32 -> (float) v;
            case F64 -> v;
            case F16 -> Half.f16ToFloat(Half.floatToF16((float) v));
            case BF16 -> Half.bf16ToFloat(Half.floatToBf16((float) v));
            case I32, I64 -> (long) v;
        };
    }

    @Test
    void everyDtypePairContiguousAndStrided() {
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                double[] src = new double[VALUES.length];
                for (int i = 0; i < src.length; i++) {
                    src[i] = expected(VALUES[i], from);
                }
                Tensor s = arena.fromArray(from, src, 2, 5);
                double[] want = new double[src.length];
                for (int i = 0; i < src.length; i++) {
                    want[i] = expected(src[i], to);
                }
                Tensor d = arena.empty(to, 2, 5);
                Copy.copy(s, d);
                assertArrayEquals(want, d.toDoubleArray(), from + " -> " + to);

                // strided both sides: a transposed source into a transposed destination
                Tensor st = arena.empty(from, 5, 2).transpose(0, 1);
                Copy.copy(s, st);
                Tensor dt = arena.empty(to, 5, 2).transpose(0, 1);
                Copy.copy(st, dt);
                assertArrayEquals(want, dt.toDoubleArray(), from + " -> " + to + " transposed");
            }
        }
    }

    @Test
    void floatToIntTruncatesTowardZeroAndSaturates() {
        Tensor s = arena.fromArray(new double[] {2.9, -2.9, 1e20, -1e20, Double.NaN, 0.5}, 6);
        Tensor i32 = arena.empty(DType.I32, 6);
        Copy.copy(s, i32);
        assertArrayEquals(new long[] {2, -2, Integer.MAX_VALUE, Integer.MIN_VALUE, 0, 0}, i32.toLongArray());
        Tensor i64 = arena.empty(DType.I64, 6);
        Copy.copy(s, i64);
        assertArrayEquals(new long[] {2, -2, Long.MAX_VALUE, Long.MIN_VALUE, 0, 0}, i64.toLongArray());
        Tensor big = arena.fromArray(new long[] {(1L << 53) + 1, -3}, 2);
        Tensor f64 = arena.empty(DType.F64, 2);
        Copy.copy(big, f64);
        assertArrayEquals(new double[] {(double) ((1L << 53) + 1), -3}, f64.toDoubleArray());
    }

    @Test
    void broadcastSourceAndScalars() {
        Tensor row = arena.fromArray(new float[] {1, 2, 3}, 3);
        Tensor d = arena.empty(DType.F64, 4, 3);
        Copy.copy(row, d);
        assertArrayEquals(new double[] {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}, d.toDoubleArray());
        Copy.copy(arena.scalar(DType.I32, 7), d);
        for (double v : d.toDoubleArray()) {
            assertEquals(7, v);
        }
        Tensor s = arena.empty(DType.F32);
        Copy.copy(arena.scalar(DType.F64, 2.5), s);
        assertEquals(2.5, s.item());
        Copy.copy(arena.empty(DType.F32, 0, 3), arena.empty(DType.I64, 0, 3));
    }

    @Test
    void fillAnyDtypeAndStrides() {
        for (DType dt : DType.values()) {
            Tensor t = arena.zeros(dt, 4, 6);
            Copy.fill(t.slice(1, 1, 5).transpose(0, 1), -3.5);
            double v = expected(-3.5, dt);
            double[] got = t.toDoubleArray();
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 6; j++) {
                    assertEquals(j >= 1 && j < 5 ? v : 0, got[i * 6 + j], dt + " at " + i + "," + j);
                }
            }
            Copy.fill(t, 0.25);
            for (double g : t.toDoubleArray()) {
                assertEquals(expected(0.25, dt), g, dt.toString());
            }
        }
    }

    @Test
    void badCopiesAreRejected() {
        Tensor a = arena.zeros(DType.F32, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Copy.copy(arena.zeros(DType.F32, 5), a));
        assertTrue(e.getMessage().contains("Copy.copy") && e.getMessage().contains("[5]") && e.getMessage().contains("[3, 4]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Copy.copy(a, arena.zeros(DType.F32, 4).expand(3, 4)));
        assertTrue(e.getMessage().contains("stride 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Copy.copy(a.slice(1, 0, 3), a.slice(1, 1, 4)));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
        Copy.copy(a, a);
    }
    /**
     * Copy.zero: small, large (the pool's bulk copies, Note [Parallel zeroing], with a last unit shorter than
     * the others) and strided tensors end all +0 (NaN overwritten), and nothing around them changes.
     */
    @Test
    void zeroClearsEveryElementAndNothingElse() {
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32}) {
            for (long[] shape : new long[][] {{7, 3}, {1031, 517}, {600, 700}}) {
                arena.reset();
                Tensor whole = arena.empty(dt, shape[0] + 2, shape[1]);
                whole.fill(dt == DType.I32 ? 5 : Double.NaN);
                Tensor inner = whole.slice(0, 1, shape[0] + 1);
                assertTrue(inner.isContiguous());
                Copy.zero(inner);
                double[] v = whole.toDoubleArray();
                long n = shape[1];
                for (int i = 0; i < v.length; i++) {
                    boolean inside = i >= n && i < v.length - n;
                    if (inside) {
                        assertEquals(0L, Double.doubleToRawLongBits(v[i]), dt + " element " + i);
                    } else {
                        assertTrue(dt == DType.I32 ? v[i] == 5 : Double.isNaN(v[i]), dt + " outside element " + i + " changed");
                    }
                }
                Tensor t = arena.empty(dt, shape[1], shape[0]);
                t.fill(3);
                Tensor view = t.transpose(0, 1);
                Copy.zero(view);
                for (double e : view.toDoubleArray()) {
                    assertEquals(0L, Double.doubleToRawLongBits(e), dt + " transposed");
                }
            }
        }
    }
}
