package dev.zerograd.tape;

import dev.zerograd.kernels.Dropout;
import dev.zerograd.memory.Tensor;

/**
 * Inverted dropout, {@code y = x * mask} with {@code mask = [u >= p] / (1 - p)} drawn by a counter-based
 * generator ({@link Dropout}): the mask is a pure function of (seed, stream, element
 * position), so a step can be replayed, and checked by finite differences, with the same mask.
 *
 * <p>The mask is saved at forward and treated as a constant: the rules are products with it, written with
 * {@link Ops#mul}, so they record in create-graph mode (the second derivative is zero).
 */
final class DropoutOps {
    private DropoutOps() {}

    /** Input: x. Saved 0: the mask. Scalar 0: p. */
    static final Op DROPOUT = new Op("dropout") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, Ops.mul(g, n.saved(0)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : Ops.mul(t, n.saved(0));
        }
    };

    /** x itself when not training or p == 0 (not recorded, no copy); otherwise x * mask. */
    static Tensor dropout(Tensor x, double p, long seed, int stream, boolean training) {
        Checks.floating("dropout", x);
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout: drop probability p = " + p + " for " + x.describe() + " must be in [0, 1)");
        }
        if (!training || p == 0) {
            return x;
        }
        Context c = Context.get();
        Tensor mask = c.resultLike(x);
        Tensor y = c.resultLike(x);
        Dropout.dropout(x, p, seed, stream, mask, y);
        if (c.tracks(x)) {
            c.begin(DROPOUT).in(x).save(mask).scalar(0, p).commit(y);
        }
        return y;
    }
}
