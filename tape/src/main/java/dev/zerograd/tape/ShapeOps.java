package dev.zerograd.tape;

import dev.zerograd.kernels.Copy;
import dev.zerograd.kernels.Reduce;
import dev.zerograd.memory.Shapes;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.Views;

/**
 * The core shape ops every other rule leans on: broadcasting ({@code broadcast_to}) and its reverse
 * ({@code sum_to}), {@code reshape}, and {@code copy}. Results of views share their input's bytes;
 * their handles come from the result arena (Note [Where results live] in {@link Context}).
 */
final class ShapeOps {
    private ShapeOps() {}

    // ---------------------------------------------------------------- broadcast_to / sum_to

    /** A stride-0 view of the input at the result's (broadcast) shape. */
    static final Op BROADCAST_TO = new Op("broadcast_to") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, Ops.sumTo(g, n.input(0)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : Ops.broadcastTo(t, n.result());
        }
    };

    /** The input summed down to the result's shape: the reverse of broadcasting. */
    static final Op SUM_TO = new Op("sum_to") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, Ops.broadcastTo(g, n.input(0)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : Ops.sumTo(t, n.result());
        }
    };

    /** {@code x} viewed at the first {@code rank} sizes of {@code shape} (NumPy rules, -1 keeps a size). */
    static Tensor expand(Tensor x, long[] shape, int rank) {
        Context c = Context.get();
        x.checkValid();
        Views.expand(x, shape, rank, c.shapeB, c.stridesA);
        if (Shapes.equal(c.shapeB, rank, shape(x, c.shapeA), x.rank())) {
            return x;
        }
        Tensor out = c.resultArena(x).view(x, rank, c.shapeB, c.stridesA, 0);
        if (c.tracks(x)) {
            c.begin(BROADCAST_TO).in(x).commit(out);
        }
        return out;
    }

    static Tensor broadcastTo(Tensor x, Tensor like) {
        like.checkValid();
        Context c = Context.get();
        int r = like.shapeInto(c.expandTarget);
        return expand(x, c.expandTarget, r);
    }

    private static long[] shape(Tensor x, long[] into) {
        x.shapeInto(into);
        return into;
    }

    /** {@code x} summed over the dims it was broadcast along to reach its shape from {@code like}'s. */
    static Tensor sumTo(Tensor x, Tensor like) {
        Context c = Context.get();
        Checks.floating("sum_to", x);
        like.checkValid();
        if (x.sameShape(like)) {
            return x;
        }
        int r = like.shapeInto(c.shapeA);
        Tensor out = c.result(x, x.dtype(), c.shapeA, r);
        Reduce.sumTo(x, out);
        if (c.tracks(x)) {
            c.begin(SUM_TO).in(x).commit(out);
        }
        return out;
    }

    // ---------------------------------------------------------------- reshape / contiguous

    /** A view with the result's shape over the (contiguous) input's elements. */
    static final Op RESHAPE = new Op("reshape") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, Ops.reshapeAs(g, n.input(0)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : Ops.reshapeAs(t, n.result());
        }
    };

    /** A contiguous copy (the identity, for gradients). */
    static final Op COPY = new Op("copy") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, g);
        }
        @Override public Tensor jvp(Node n) {
            return n.tangent(0);
        }
    };

    static Tensor contiguous(Tensor x) {
        x.checkValid();
        return x.isContiguous() ? x : copy(x);
    }

    static Tensor copy(Tensor x) {
        x.checkValid();
        Context c = Context.get();
        Tensor out = c.resultLike(x);
        Copy.copy(x, out);
        if (c.tracks(x)) {
            c.begin(COPY).in(x).commit(out);
        }
        return out;
    }

    /** {@code x} with the first {@code rank} sizes of {@code shape} (one may be -1); copies only when x is strided. */
    static Tensor reshape(Tensor x, long[] shape, int rank) {
        Context c = Context.get();
        x.checkValid();
        Views.inferShape("reshape", x, shape, rank, c.shapeB);
        if (Shapes.equal(c.shapeB, rank, shape(x, c.shapeA), x.rank())) {
            return x;
        }
        Tensor src = contiguous(x);
        // contiguous() may have used the scratch: recompute the target
        Views.inferShape("reshape", x, shape, rank, c.shapeB);
        Shapes.contiguousStrides(c.shapeB, rank, c.stridesA);
        Tensor out = c.resultArena(src).view(src, rank, c.shapeB, c.stridesA, 0);
        if (c.tracks(src)) {
            c.begin(RESHAPE).in(src).commit(out);
        }
        return out;
    }

    static Tensor reshapeAs(Tensor x, Tensor like) {
        like.checkValid();
        Context c = Context.get();
        int r = like.shapeInto(c.reshapeTarget);
        return reshape(x, c.reshapeTarget, r);
    }
}
