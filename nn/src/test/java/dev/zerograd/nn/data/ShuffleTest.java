package dev.zerograd.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Seeded Fisher-Yates: a permutation, a pure function of (seed, epoch), and uniform. */
class ShuffleTest {

    private static int[] permutation(long seed, int epoch, int n) {
        int[] order = new int[n];
        Shuffle.permutation(seed, epoch, order, n);
        return order;
    }

    private static boolean isPermutation(int[] order, int n) {
        boolean[] seen = new boolean[n];
        for (int i = 0; i < n; i++) {
            if (order[i] < 0 || order[i] >= n || seen[order[i]]) {
                return false;
            }
            seen[order[i]] = true;
        }
        return true;
    }

    @Property(tries = 100)
    void isAPermutationDeterminedBySeedAndEpoch(@ForAll long seed, @ForAll @IntRange(min = 0, max = 1_000_000) int epoch,
                                                @ForAll @IntRange(min = 0, max = 300) int n) {
        int[] order = permutation(seed, epoch, n);
        assertTrue(isPermutation(order, n), Arrays.toString(order));
        int[] dirty = new int[n + 5];
        Arrays.fill(dirty, -7);
        Shuffle.permutation(seed, epoch, dirty, n); // independent of the array's previous contents
        assertArrayEquals(order, Arrays.copyOf(dirty, n));
        assertEquals(-7, dirty[n]);
    }

    @Property(tries = 200)
    void drawsAreInRange(@ForAll long seed, @ForAll @IntRange(min = 0, max = 1000) int epoch,
                         @ForAll @IntRange(min = 1) int bound, @ForAll @IntRange(min = 0) int position) {
        int v = Shuffle.below(seed, epoch, position, bound);
        assertTrue(v >= 0 && v < bound, v + " not in [0, " + bound + ")");
    }

    @Test
    void pinnedOrders() {
        // Pinned so that a change to the generator or the draw scheme cannot pass unnoticed: the order of a
        // seed must be the same on every machine and in every release. An independent Python implementation
        // of Note [Shuffle streams] (Philox-4x32-10 from its specification) gives the same two orders.
        assertArrayEquals(new int[] {3, 9, 5, 8, 6, 7, 0, 2, 1, 4}, permutation(42, 0, 10));
        assertArrayEquals(new int[] {8, 9, 0, 6, 4, 5, 7, 2, 1, 3}, permutation(42, 1, 10));
    }

    @Test
    void epochsAndSeedsGiveDifferentOrders() {
        int[] a = permutation(7, 0, 50);
        assertFalse(Arrays.equals(a, permutation(7, 1, 50)));
        assertFalse(Arrays.equals(a, permutation(8, 0, 50)));
        assertArrayEquals(a, permutation(7, 0, 50));
    }

    @Test
    void allPermutationsOfFourAreEquallyLikely() {
        Map<String, Integer> counts = new HashMap<>();
        int trials = 48_000;
        for (int e = 0; e < trials; e++) {
            counts.merge(Arrays.toString(permutation(2024, e, 4)), 1, Integer::sum);
        }
        assertEquals(24, counts.size());
        double expected = trials / 24.0;
        double chi2 = 0;
        for (int c : counts.values()) {
            chi2 += (c - expected) * (c - expected) / expected;
        }
        // 23 degrees of freedom: P(chi2 > 49.7) = 0.001 for a uniform shuffle.
        assertTrue(chi2 < 49.7, "chi-square " + chi2 + " over " + counts);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> Shuffle.permutation(1, -1, new int[3], 3));
        assertThrows(IllegalArgumentException.class, () -> Shuffle.permutation(1, 0, new int[3], 4));
        assertThrows(IllegalArgumentException.class, () -> Shuffle.permutation(1, 0, new int[3], -1));
    }
}
