package dev.zerograd.bindings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

class CblasAddressTest {

    /** The address variants are the header-checked descriptors with each pointer replaced by a 64-bit integer. */
    @Test
    void descriptorsAreCblasWithPointersAsLongs() {
        assertEquals(asAddresses(Cblas.cblas_sgemm$descriptor()), CblasAddress.cblas_sgemm$descriptor());
        assertEquals(asAddresses(Cblas.cblas_dgemm$descriptor()), CblasAddress.cblas_dgemm$descriptor());
        assertEquals(8, ValueLayout.ADDRESS.byteSize(), "pointers are 64-bit on supported platforms");
    }

    private static FunctionDescriptor asAddresses(FunctionDescriptor d) {
        List<MemoryLayout> args = d.argumentLayouts().stream()
                .map(l -> l instanceof java.lang.foreign.AddressLayout ? (MemoryLayout) ValueLayout.JAVA_LONG : l)
                .toList();
        return FunctionDescriptor.ofVoid(args.toArray(MemoryLayout[]::new));
    }

    @Test
    void sgemmAndDgemmThroughAddressesMatchTheSegmentBinding() {
        try (Arena arena = Arena.ofConfined()) {
            // a [2,3], b [3,2] row-major; offsets inside larger segments to exercise address arithmetic
            MemorySegment a = arena.allocate(4 * 10, 64);
            MemorySegment b = arena.allocate(4 * 10, 64);
            MemorySegment c = arena.allocate(4 * 10, 64);
            float[] av = {1, 2, 3, 4, 5, 6};
            float[] bv = {7, 8, 9, 10, 11, 12};
            MemorySegment.copy(av, 0, a, ValueLayout.JAVA_FLOAT, 8, 6);
            MemorySegment.copy(bv, 0, b, ValueLayout.JAVA_FLOAT, 4, 6);
            CblasAddress.cblas_sgemm(Cblas.CblasRowMajor, Cblas.CblasNoTrans, Cblas.CblasNoTrans, 2, 2, 3, 1f,
                    a.address() + 8, 3, b.address() + 4, 2, 0f, c.address() + 12, 2);
            float[] out = new float[4];
            MemorySegment.copy(c, ValueLayout.JAVA_FLOAT, 12, out, 0, 4);
            assertArrayEquals(new float[] {58, 64, 139, 154}, out);

            MemorySegment da = arena.allocate(8 * 6, 64);
            MemorySegment db = arena.allocate(8 * 6, 64);
            MemorySegment dc = arena.allocate(8 * 4, 64);
            for (int i = 0; i < 6; i++) {
                da.setAtIndex(ValueLayout.JAVA_DOUBLE, i, av[i]);
                db.setAtIndex(ValueLayout.JAVA_DOUBLE, i, bv[i]);
            }
            CblasAddress.cblas_dgemm(Cblas.CblasRowMajor, Cblas.CblasTrans, Cblas.CblasTrans, 3, 3, 2, 2.0,
                    da.address(), 3, db.address(), 2, 0.0, dc.address(), 3);
            // (a^T b^T)[0][0] = 2 * (1*7 + 4*8) = 78
            assertEquals(78.0, dc.getAtIndex(ValueLayout.JAVA_DOUBLE, 0), 0);
        }
    }
}
