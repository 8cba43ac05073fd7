package dev.zerograd.memory;

/**
 * Philox-4x32-10, the counter-based generator of Salmon et al. (SC'11, "Parallel random numbers: as easy as
 * 1, 2, 3"). The {@code i}-th number of a stream is a pure function of {@code (seed, i)}, so the same seed
 * gives the same numbers on every machine, in any order and on any number of threads, with no state.
 *
 * <p>Note [Random streams]: element {@code i} of a tensor uses counter block {@code i} (the 128-bit counter
 * {@code (lo32(i), hi32(i), stream, 0)}) and the 64-bit key {@code seed}. Uniforms take the top 24 bits of
 * word 0 (float) or 53 bits of words 0 and 1 (double); normals use Box-Muller on words 0-1 and 2-3 computed
 * with {@link StrictMath}, whose results are specified bit for bit, so {@code randn} is reproducible across
 * JVMs and CPUs.
 */
public final class Philox {
    private Philox() {}

    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    /**
     * Two of the four 32-bit output words of block {@code counter} of stream {@code stream} under
     * {@code seed}: words 0 (high half of the result) and 1 when {@code half == 0}, words 2 and 3 otherwise.
     */
    public static long pair(long seed, long counter, int stream, int half) {
        return block((int) counter, (int) (counter >>> 32), stream, 0, (int) seed, (int) (seed >>> 32), half);
    }

    /**
     * Philox-4x32-10 of the 128-bit counter {@code (c0, c1, c2, c3)} under the key {@code (k0, k1)}: output
     * words 0 and 1 (word 0 in the high half) when {@code half == 0}, words 2 and 3 otherwise.
     */
    static long block(int c0, int c1, int c2, int c3, int k0, int k1, int half) {
        for (int r = 0; r < 10; r++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
            k0 += W0;
            k1 += W1;
        }
        return half == 0
                ? ((c0 & 0xFFFFFFFFL) << 32) | (c1 & 0xFFFFFFFFL)
                : ((c2 & 0xFFFFFFFFL) << 32) | (c3 & 0xFFFFFFFFL);
    }

    /** 53 random bits from a pair of words: the top 27 of the first word and the top 26 of the second. */
    private static long bits53(long pair) {
        return ((pair >>> 37) << 26) | ((pair & 0xFFFFFFFFL) >>> 6);
    }

    /** Uniform float in [0, 1) for element {@code index} of stream {@code stream}. */
    public static float uniformFloat(long seed, long index, int stream) {
        return uniformFloat(seed, index, stream, 24);
    }

    /**
     * Uniform float in [0, 1) on the grid of multiples of {@code 2^-bits} ({@code 1 <= bits <= 24}), from the
     * top {@code bits} bits of word 0: with as many bits as a dtype's significand it is exact in that dtype.
     */
    public static float uniformFloat(long seed, long index, int stream, int bits) {
        return Math.scalb((float) (int) (pair(seed, index, stream, 0) >>> (64 - bits)), -bits);
    }

    /** Uniform double in [0, 1) for element {@code index} of stream {@code stream}. */
    public static double uniformDouble(long seed, long index, int stream) {
        return bits53(pair(seed, index, stream, 0)) * 0x1.0p-53;
    }

    /** Standard normal for element {@code index} of stream {@code stream} (Box-Muller, StrictMath). */
    public static double normal(long seed, long index, int stream) {
        double u1 = 1.0 - bits53(pair(seed, index, stream, 0)) * 0x1.0p-53; // (0, 1]: log is finite
        double u2 = bits53(pair(seed, index, stream, 1)) * 0x1.0p-53;
        return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * Math.PI * u2);
    }
}
