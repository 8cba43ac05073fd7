package dev.zerograd.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** f16 and bf16 conversions (round to nearest even, NaN, infinities, subnormals) and storage in tensors. */
class HalfTest {

    private static void assertF16(int expectedBits, float f) {
        assertEquals(Integer.toHexString(expectedBits), Integer.toHexString(Half.floatToF16(f) & 0xFFFF), "f16 of " + f);
    }

    private static void assertBf16(int expectedBits, float f) {
        assertEquals(Integer.toHexString(expectedBits), Integer.toHexString(Half.floatToBf16(f) & 0xFFFF), "bf16 of " + f);
    }

    @Test
    void f16ExactValues() {
        assertF16(0x3C00, 1.0f);
        assertF16(0xC000, -2.0f);
        assertF16(0x0000, 0.0f);
        assertF16(0x8000, -0.0f);
        assertF16(0x7BFF, 65504f);        // largest finite
        assertF16(0x0400, 0x1.0p-14f);    // smallest normal
        assertF16(0x0001, 0x1.0p-24f);    // smallest subnormal
        assertF16(0x03FF, 0x1.ff8p-15f);  // largest subnormal
        assertEquals(0x1.0p-24f, Half.f16ToFloat((short) 0x0001));
        assertEquals(65504f, Half.f16ToFloat((short) 0x7BFF));
    }

    @Test
    void f16RoundsToNearestTiesToEven() {
        assertF16(0x3C00, 1 + 0x1.0p-11f);        // halfway between 1 and 1+2^-10: even is 1
        assertF16(0x3C02, 1 + 3 * 0x1.0p-11f);    // halfway between 1+2^-10 and 1+2^-9: even is 1+2^-9
        assertF16(0x3C01, 1 + 0x1.2p-11f);        // just above halfway rounds up
        assertF16(0x7BFF, 65519f);                // below the halfway point to 65536 stays finite
        assertF16(0x7C00, 65520f);                // the tie above the largest finite goes to infinity
        assertF16(0x0000, 0x1.0p-25f);            // half the smallest subnormal: tie to even 0
        assertF16(0x0002, 3 * 0x1.0p-25f);        // 1.5 subnormal ulps: tie to even 2
        assertF16(0x0001, 0x1.8p-26f * 2);        // 0.75 ulp rounds up to the smallest subnormal
    }

    @Test
    void f16SpecialValues() {
        assertF16(0x7C00, Float.POSITIVE_INFINITY);
        assertF16(0xFC00, Float.NEGATIVE_INFINITY);
        assertF16(0x7C00, 1e6f);
        assertTrue(Float.isNaN(Half.f16ToFloat(Half.floatToF16(Float.NaN))));
        assertEquals(Float.POSITIVE_INFINITY, Half.f16ToFloat((short) 0x7C00));
        assertTrue(Float.isNaN(Half.f16ToFloat((short) 0x7E00)));
    }

    @Test
    void everyF16RoundTripsThroughFloat() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = Half.f16ToFloat((short) bits);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.f16ToFloat(Half.floatToF16(f))), "NaN " + Integer.toHexString(bits));
            } else {
                assertEquals(bits, Half.floatToF16(f) & 0xFFFF, "f16 " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void bf16ExactAndSpecialValues() {
        assertBf16(0x3F80, 1.0f);
        assertBf16(0xC000, -2.0f);
        assertBf16(0x8000, -0.0f);
        assertBf16(0x7F80, Float.POSITIVE_INFINITY);
        assertBf16(0xFF80, Float.NEGATIVE_INFINITY);
        assertBf16(0x0001, 0x1.0p-133f);                  // smallest bf16 subnormal
        assertEquals(0x1.0p-133f, Half.bf16ToFloat((short) 0x0001));
        assertEquals(-0x1.0p-126f, Half.bf16ToFloat((short) 0x8080));
        assertBf16(0x7F80, Float.MAX_VALUE);              // rounds up to infinity
        assertBf16(0x7F7F, 0x1.fep127f);                  // largest finite bf16 is exact
        short nan = Half.floatToBf16(Float.intBitsToFloat(0x7F800001)); // signalling NaN whose payload is in the low half
        assertTrue(Float.isNaN(Half.bf16ToFloat(nan)), "a NaN must not truncate to infinity");
        assertTrue(Float.isNaN(Half.bf16ToFloat(Half.floatToBf16(Float.NaN))));
        assertEquals(0x8000, Half.floatToBf16(Float.intBitsToFloat(0xFF800001)) & 0x8000, "NaN keeps its sign");
    }

    @Test
    void bf16RoundsToNearestTiesToEven() {
        assertBf16(0x3F80, 1 + 0x1.0p-8f);       // halfway between 1 and 1+2^-7: even is 1
        assertBf16(0x3F82, 1 + 3 * 0x1.0p-8f);   // halfway between 1+2^-7 and 1+2^-6: even is 1+2^-6
        assertBf16(0x3F81, 1 + 0x1.02p-8f);      // just above halfway rounds up
        assertBf16(0x3F80, 1 + 0x1.fcp-9f);      // just below halfway rounds down
        assertBf16(0xBF80, -(1 + 0x1.0p-8f));    // same for negative numbers
        assertBf16(0xBF82, -(1 + 3 * 0x1.0p-8f));
    }

    @Test
    void everyBf16RoundTripsThroughFloat() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = Half.bf16ToFloat((short) bits);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.bf16ToFloat(Half.floatToBf16(f))), "NaN " + Integer.toHexString(bits));
            } else {
                assertEquals(bits, Half.floatToBf16(f) & 0xFFFF, "bf16 " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void f16AndBf16TensorsStoreTwoBytesPerElementAndRound() {
        try (TensorArena arena = TensorArena.ofConfined("half", 4096)) {
            double[] values = {0.1, -2.5, 65504, 1e6, 1 + 0x1.0p-11, 0x1.0p-24, Double.NaN, Double.NEGATIVE_INFINITY, -0.0};
            Tensor h = arena.fromArray(DType.F16, values, values.length);
            Tensor b = arena.fromArray(DType.BF16, values, values.length);
            assertEquals(2 * values.length, h.byteSize());
            for (int i = 0; i < values.length; i++) {
                float f = (float) values[i];
                short hBits = h.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, h.byteOffset() + 2L * i);
                short bBits = b.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, b.byteOffset() + 2L * i);
                assertEquals(Half.floatToF16(f), hBits, "f16 storage of " + f);
                assertEquals(Half.floatToBf16(f), bBits, "bf16 storage of " + f);
                assertEquals((double) Half.f16ToFloat(hBits), h.getDouble(i));
                assertEquals((double) Half.bf16ToFloat(bBits), b.getDouble(i));
            }
            assertEquals(0.0999755859375, h.getDouble(0));   // nearest f16 to 0.1
            assertEquals(0.10009765625, b.getDouble(0));     // nearest bf16 to 0.1
            assertEquals(Double.POSITIVE_INFINITY, h.getDouble(3));
            assertEquals(999424.0, b.getDouble(3));
            assertEquals(1.0, h.getDouble(4));
            assertTrue(Double.isNaN(h.getDouble(6)) && Double.isNaN(b.getDouble(6)));
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(h.getDouble(8)));

            Tensor m = arena.zeros(DType.BF16, 2, 2);
            m.setDouble(1, 0, 3.14159);
            assertEquals(3.140625, m.getDouble(1, 0));
            assertEquals(3.140625f, m.toFloatArray()[2]);
        }
    }
}
