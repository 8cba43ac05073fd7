package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.Ops;

/**
 * Inverted dropout: in training mode each element is zeroed with probability {@code p} and the others are
 * scaled by {@code 1 / (1 - p)}; in evaluation mode (or with {@code p = 0}) the input is returned as is.
 *
 * <p>Note [Dropout streams]: masks come from the counter-based generator keyed by this layer's seed, with the
 * number of training-mode calls so far as the Philox stream: call k of a layer draws stream k. So a run is
 * reproducible from its seed alone, two layers given different seeds draw unrelated masks, and no generator
 * state needs saving beyond {@link #calls()} (restore it with {@link #setCalls(int)} to resume a run).
 * No parameters.
 */
public final class Dropout extends Module {
    private final double p;
    private final long seed;
    private int calls;

    /** Dropout with probability {@code p}, its masks keyed by {@code seed}. */
    public Dropout(double p, long seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("Dropout: probability " + p + " must be in [0, 1) (1 would drop everything)");
        }
        this.p = p;
        this.seed = seed;
    }

    /** Dropout with probability {@code p}, its seed drawn from {@code params}' seed stream. */
    public Dropout(Parameters params, double p) {
        this(p, params.nextSeed());
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0) {
            return x;
        }
        return Ops.dropout(x, p, seed, calls++, true);
    }

    public double p() {
        return p;
    }

    public long seed() {
        return seed;
    }

    /** Training-mode calls so far: the stream of the next mask (Note [Dropout streams]). */
    public int calls() {
        return calls;
    }

    /** Sets the stream of the next mask (to resume a run). */
    public void setCalls(int calls) {
        if (calls < 0) {
            throw new IllegalArgumentException("Dropout.setCalls: " + calls + " must be non-negative");
        }
        this.calls = calls;
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }
}
