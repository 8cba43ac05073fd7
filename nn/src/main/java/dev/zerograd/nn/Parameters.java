package dev.zerograd.nn;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;

/**
 * Where a model's parameters come from: the long-lived arena they are allocated in, their dtype, and a
 * seeded stream of initialization seeds. Every layer constructor takes one and draws its tensors and seeds
 * from it, so a model built from the same {@code Parameters} seed, in the same order, has the same weights
 * on every machine.
 *
 * <pre>{@code
 * try (TensorArena arena = TensorArena.ofShared("params", 16 << 20)) {
 *     Parameters p = Parameters.of(arena, seed);
 *     Sequential model = new Sequential(new Linear(p, 784, 256), new ReLU(), new Linear(p, 256, 10));
 * }
 * }</pre>
 *
 * <p>Note [Initialization seeds]: the k-th call of {@link #nextSeed()} returns SplitMix64's k-th output for
 * the seed ({@code mix(seed + (k + 1) * 0x9E3779B97F4A7C15)}), so consecutive tensors get unrelated Philox keys.
 * The arena must also have room for the gradients the tape allocates beside the parameters at the first
 * backward pass and for the optimizer's state (see {@link Models#arenaBytes}).
 */
public final class Parameters {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final TensorArena arena;
    private final DType dtype;
    private final long seed;
    private long drawn;

    private Parameters(TensorArena arena, DType dtype, long seed) {
        if (arena == null) {
            throw new IllegalArgumentException("Parameters: arena is null");
        }
        if (dtype != DType.F32 && dtype != DType.F64) {
            throw new IllegalArgumentException("Parameters: dtype " + dtype + " is not supported for parameters; expected f32 or f64");
        }
        this.arena = arena;
        this.dtype = dtype;
        this.seed = seed;
    }

    /** F32 parameters in {@code arena}, initialized from {@code seed}. */
    public static Parameters of(TensorArena arena, long seed) {
        return new Parameters(arena, DType.F32, seed);
    }

    /** Parameters of {@code dtype} (F32 or F64) in {@code arena}, initialized from {@code seed}. */
    public static Parameters of(TensorArena arena, DType dtype, long seed) {
        return new Parameters(arena, dtype, seed);
    }

    public TensorArena arena() {
        return arena;
    }

    public DType dtype() {
        return dtype;
    }

    /** The seed this stream started from. */
    public long seed() {
        return seed;
    }

    /** The next initialization seed (Note [Initialization seeds]). */
    public long nextSeed() {
        drawn++;
        return mix(seed + drawn * GOLDEN);
    }

    /** An uninitialized tensor of this dtype in the parameter arena (allocates its shape array: for constructors). */
    public Tensor empty(long... shape) {
        return arena.empty(dtype, shape);
    }

    /** SplitMix64's finalizer. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
