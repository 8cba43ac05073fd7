package dev.zerograd.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Philox-4x32-10 against the Random123 known-answer tests, and pinned outputs of the public streams. */
class PhiloxTest {

    /** The four output words of counter {@code c} under key {@code k}, via the package-private block function. */
    private static int[] words(int c0, int c1, int c2, int c3, int k0, int k1) {
        long lo = Philox.block(c0, c1, c2, c3, k0, k1, 0);
        long hi = Philox.block(c0, c1, c2, c3, k0, k1, 1);
        return new int[] {(int) (lo >>> 32), (int) lo, (int) (hi >>> 32), (int) hi};
    }

    private static void assertWords(int[] expected, int[] actual) {
        for (int i = 0; i < 4; i++) {
            assertEquals(Integer.toHexString(expected[i]), Integer.toHexString(actual[i]), "word " + i);
        }
    }

    // Random123 kat_vectors: "philox4x32 10 <counter x4> <key x2> <output x4>".

    @Test
    void knownAnswerZeroCounterZeroKey() {
        assertWords(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, words(0, 0, 0, 0, 0, 0));
    }

    @Test
    void knownAnswerAllOnes() {
        assertWords(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, words(-1, -1, -1, -1, -1, -1));
    }

    @Test
    void knownAnswerPiDigits() {
        assertWords(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                words(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    @Test
    void pairMapsSeedCounterAndStreamOntoKeyAndCounterWords() {
        long seed = 0x299f31d0_a4093822L;
        long counter = 0x85a308d3_243f6a88L;
        int stream = 0x13198a2e;
        assertEquals(Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0, 0xa4093822, 0x299f31d0, 0),
                Philox.pair(seed, counter, stream, 0));
        assertEquals(Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0, 0xa4093822, 0x299f31d0, 1),
                Philox.pair(seed, counter, stream, 1));
        assertEquals(0x6627e8d5_e169c58dL, Philox.pair(0, 0, 0, 0));
        assertEquals(0xbc57ac4c_9b00dbd8L, Philox.pair(0, 0, 0, 1));
    }

    @Test
    void goldenOutputsForSeedZero() {
        assertEquals(0x1.989fap-2f, Philox.uniformFloat(0, 0, 0));
        assertEquals(0x1.f1c998p-1f, Philox.uniformFloat(0, 1, 0));
        assertEquals(0x1.3ea8cp-6f, Philox.uniformFloat(0, 2, 0));
        assertEquals(0x1.9321dep-1f, Philox.uniformFloat(0, 3, 0));
        assertEquals(0x1.989fa370b4e2cp-2, Philox.uniformDouble(0, 0, 0));
        assertEquals(0x1.f1c999572c803p-1, Philox.uniformDouble(0, 1, 0));
        assertEquals(-0x1.7293de1598499p-4, Philox.normal(0, 0, 0));
        assertEquals(-0x1.d900b78befd44p-1, Philox.normal(0, 1, 0));
        assertEquals(0x1.00dedd9977b01p-3, Philox.normal(0, 2, 0));
        assertEquals(-0x1.6494ff153313p0, Philox.normal(0, 3, 0));
    }

    @Test
    void goldenOutputsForSeed42() {
        assertEquals(0x9ceaf05377f5493bL, Philox.pair(42, 0, 0, 0));
        assertEquals(0x1.39d5ep-1f, Philox.uniformFloat(42, 0, 0));
        assertEquals(0x1.f9b642p-1f, Philox.uniformFloat(42, 1, 0));
        assertEquals(0x1.a6d804p-1f, Philox.uniformFloat(42, 2, 0));
        assertEquals(0x1.758e08p-1f, Philox.uniformFloat(42, 3, 0));
        assertEquals(0x1.39d5e09dfd524p-1, Philox.uniformDouble(42, 0, 0));
        assertEquals(0x1.3c0aeecaa53d3p0, Philox.normal(42, 0, 0));
        assertEquals(-0x1.7a3f30519ae3cp1, Philox.normal(42, 1, 0));
        assertEquals(-0x1.7e53e275cf872p0, Philox.normal(42, 2, 0));
        assertEquals(-0x1.6281b20be673ep0, Philox.normal(42, 3, 0));
    }

    @Test
    void uniformsComeFromTheTopBitsOfWordZero() {
        for (long i = 0; i < 1000; i++) {
            long pair = Philox.pair(7, i, 3, 0);
            assertEquals((pair >>> 40) * 0x1.0p-24f, Philox.uniformFloat(7, i, 3));
            assertEquals((pair >>> 53) * 0x1.0p-11f, Philox.uniformFloat(7, i, 3, 11));
            double d = Philox.uniformDouble(7, i, 3);
            assertTrue(d >= 0 && d < 1);
            assertEquals((float) Math.floor(d * 0x1.0p24) * 0x1.0p-24f, Philox.uniformFloat(7, i, 3),
                    "the double has the float's 24 bits as its top bits");
        }
    }

    @Test
    void streamsAndSeedsAreIndependent() {
        int same = 0;
        for (long i = 0; i < 1000; i++) {
            long a = Philox.pair(1, i, 0, 0);
            if (a == Philox.pair(1, i, 1, 0) || a == Philox.pair(2, i, 0, 0) || a == Philox.pair(1L << 32 | 1, i, 0, 0)
                    || a == Philox.pair(1, i + (1L << 32), 0, 0)) {
                same++;
            }
        }
        assertEquals(0, same, "the high halves of seed and counter and the stream all change the output");
        assertNotEquals(Philox.pair(5, 9, 0, 0), Philox.pair(5, 9, 0, 1));
    }

    @Test
    void extremeUniformsStayInsideTheUnitInterval() {
        // The largest 24-, 11- and 53-bit values scale to just below 1.
        assertEquals(1 - 0x1.0p-24f, Math.scalb((float) ((1 << 24) - 1), -24));
        for (long i = 0; i < 100_000; i++) {
            float f = Philox.uniformFloat(11, i, 0);
            float h = Philox.uniformFloat(11, i, 0, 11);
            double n = Philox.normal(11, i, 0);
            assertTrue(f >= 0 && f < 1, "uniformFloat " + f);
            assertTrue(h >= 0 && h < 1 && h <= f, "11-bit uniform " + h);
            assertTrue(Double.isFinite(n), "normal " + n);
        }
    }
}
