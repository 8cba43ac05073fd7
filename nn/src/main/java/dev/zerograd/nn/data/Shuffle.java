package dev.zerograd.nn.data;

import dev.zerograd.memory.Philox;

/**
 * Seeded permutations for shuffling a dataset each epoch, driven by the counter-based {@link Philox}
 * generator: the order is a pure function of {@code (seed, epoch, n)}, the same on every machine and
 * independent of what was shuffled before. Allocates nothing.
 *
 * <p>Note [Shuffle streams]: the permutation is Fisher-Yates (Durstenfeld): for {@code i = n-1 .. 1},
 * swap position {@code i} with a uniform {@code j} in {@code [0, i]}. The draws for position {@code i} of
 * epoch {@code e} come from Philox under key {@code seed ^ DOMAIN} in stream {@code e}, counter block
 * {@code i + 2^32 * k}, word {@code w} (four 32-bit words per block, {@code attempt = 4k + w}). The key
 * is offset by {@link #DOMAIN} so that a seed shared with weight initialisation ({@code randn(shape, seed)}
 * draws from key {@code seed}, stream 0) gives unrelated numbers. Each draw is made unbiased by Lemire's
 * multiply-and-reject method: {@code m = x * bound} for a 32-bit {@code x}, rejected while
 * {@code (m mod 2^32) < 2^32 mod bound}, result {@code m >> 32}.
 */
public final class Shuffle {
    private Shuffle() {}

    /** Separates the shuffle streams from other uses of the same seed ("SHUFFLE" in ASCII). */
    static final long DOMAIN = 0x0053_4855_4646_4C45L;

    /**
     * Writes a permutation of {@code 0 .. n-1} into {@code order[0..n)}, determined by {@code seed} and
     * {@code epoch} alone. Modifies {@code order}.
     *
     * @throws IllegalArgumentException when {@code n} is negative or above {@code order.length}, or
     *     {@code epoch} is negative
     */
    public static void permutation(long seed, int epoch, int[] order, int n) {
        if (n < 0 || n > order.length || epoch < 0) {
            throw new IllegalArgumentException("Shuffle.permutation: n " + n + " must be in [0, " + order.length
                    + "] and epoch " + epoch + " non-negative");
        }
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = below(seed, epoch, i, i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /** A uniform int in {@code [0, bound)} ({@code bound >= 1}) for position {@code position} of stream {@code epoch}. */
    static int below(long seed, int epoch, int position, int bound) {
        long threshold = (1L << 32) % bound;
        for (int attempt = 0; ; attempt++) {
            long counter = (position & 0xFFFFFFFFL) | ((long) (attempt >>> 2) << 32);
            long pair = Philox.pair(seed ^ DOMAIN, counter, epoch, (attempt >>> 1) & 1);
            long x = (attempt & 1) == 0 ? pair >>> 32 : pair & 0xFFFFFFFFL;
            long m = x * bound;
            if ((m & 0xFFFFFFFFL) >= threshold) {
                return (int) (m >>> 32);
            }
        }
    }
}
