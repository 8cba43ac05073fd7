package dev.zerograd.tape;

import static dev.zerograd.tape.OpCases.add;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.OpCases.Range;

/**
 * Gradcheck cases of the max/min/var reductions in ReduceOps, ViewOps and JoinOps, for {@link OpCases}
 * (call {@link #register()} from its table). Views and joins are linear, so most cases square the result:
 * the second-order check then differentiates the op's own rule once more. Max and min inputs are drawn
 * uniformly; ties closer than the difference step have probability ~1e-6.
 */
final class OpCasesViewsJoins {
    private OpCasesViewsJoins() {}

    private static final Range ANY = Range.between(-2, 2);

    static void register() {
        extrema();
        variance();
        views();
        joins();
    }

    private static Tensor sq(Tensor t) {
        return Ops.square(t);
    }

    private static void extrema() {
        add("max_dim", "dim 1 of [2,3]", in -> sq(Ops.max(in[0], 1, false)), ANY.of(2, 3));
        add("max_dim", "dim -3 of [3,2,2], keepdim", in -> sq(Ops.max(in[0], -3, true)), ANY.of(3, 2, 2));
        add("max_dim", "dim 0 of []", in -> sq(Ops.max(in[0], 0, false)), ANY.of());
        add("max_dim", "dim 0 of transposed [3,2]", in -> sq(Ops.max(in[0], 0, false)), ANY.transposed(3, 2));
        add("min_dim", "dim -1 of [2,3], keepdim", in -> sq(Ops.min(in[0], -1, true)), ANY.of(2, 3));
        add("min_dim", "dim 1 of sliced [3,2]", in -> sq(Ops.min(in[0], 1, false)), ANY.sliced(3, 2));
        add("amax", "all of [2,3]", in -> sq(Ops.max(in[0])), ANY.of(2, 3));
        add("amax", "dims {0,2} of [2,2,3]", in -> sq(Ops.amax(in[0], new int[] {0, 2}, false)), ANY.of(2, 2, 3));
        add("amax", "all of transposed [3,2]", in -> sq(Ops.max(in[0])), ANY.transposed(3, 2));
        add("amin", "all of []", in -> sq(Ops.min(in[0])), ANY.of());
        add("amin", "dim 1 of [3,2], keepdim", in -> sq(Ops.amin(in[0], new int[] {1}, true)), ANY.of(3, 2));
    }

    private static void variance() {
        add("var", "all of [2,3]", in -> Ops.var(in[0]), ANY.of(2, 3));
        add("var", "dim -1 of [3,4], correction 0, squared", in -> sq(Ops.var(in[0], -1, false, 0)), ANY.of(3, 4));
        add("var", "dims {0,2} of [2,2,3], keepdim", in -> Ops.var(in[0], new int[] {0, 2}, true, 1), ANY.of(2, 2, 3));
        add("var", "dim 0 of transposed [3,2]", in -> Ops.var(in[0], 0, false, 1), ANY.transposed(3, 2));
        add("var", "std over dim 1 of sliced [3,2]", in -> Ops.std(in[0], 1, false, 1), ANY.sliced(3, 2));
    }

    private static void views() {
        add("permute", "[2,3,2] by (1,-1,0)", in -> sq(Ops.permute(in[0], 1, -1, 0)), ANY.of(2, 3, 2));
        add("permute", "transpose of transposed [3,2]", in -> sq(Ops.transpose(in[0], 0, 1)), ANY.transposed(3, 2));
        add("permute", "transpose into matmul", in -> Ops.matmul(Ops.transpose(in[0], 0, 1), in[1]), ANY.of(3, 2), ANY.of(3, 2));
        add("squeeze", "all size-1 dims of [1,3,1]", in -> sq(Ops.squeeze(in[0])), ANY.of(1, 3, 1));
        add("squeeze", "dim -1 of sliced [3,1]", in -> sq(Ops.squeeze(in[0], -1)), ANY.sliced(3, 1));
        add("unsqueeze", "dim -2 of [2,3]", in -> sq(Ops.unsqueeze(in[0], -2)), ANY.of(2, 3));
        add("unsqueeze", "dim 0 of []", in -> sq(Ops.unsqueeze(in[0], 0)), ANY.of());
        add("unsqueeze", "dim 1 of transposed [3,2]", in -> sq(Ops.unsqueeze(in[0], 1)), ANY.transposed(3, 2));
        add("slice", "[1:5:2] of dim 1 of [2,6]", in -> sq(Ops.slice(in[0], 1, 1, 5, 2)), ANY.of(2, 6));
        add("slice", "[-3:] of dim 0 of transposed [4,2]", in -> sq(Ops.slice(in[0], 0, -3, 4)), ANY.transposed(4, 2));
        add("slice", "narrow of sliced [3,2]", in -> sq(Ops.narrow(in[0], 0, 1, 2)), ANY.sliced(3, 2));
        add("slice", "flatten of transposed [3,2] (a copy, then a view)", in -> sq(Ops.flatten(in[0])), ANY.transposed(3, 2));
        add("slice_backward", "rule of slice, differentiated again", in -> sq(Ops.slice(in[0], 0, 1, 3)), ANY.of(4));
    }

    private static void joins() {
        add("concat", "[2,3], [2,1] and a constant [2,2] along dim 1",
                in -> sq(Ops.concat(new Tensor[] {in[0], in[1], in[2]}, 1)), ANY.of(2, 3), ANY.of(2, 1), ANY.constant(2, 2));
        add("concat", "transposed [3,2] with itself along dim 0",
                in -> sq(Ops.concat(new Tensor[] {in[0], in[0]}, 0)), ANY.transposed(3, 2));
        add("stack", "two [2,2] along dim 0", in -> sq(Ops.stack(new Tensor[] {in[0], in[1]}, 0)), ANY.of(2, 2), ANY.of(2, 2));
        add("stack", "two [] along dim -1", in -> sq(Ops.stack(new Tensor[] {in[0], in[1]}, -1)), ANY.of(), ANY.of());
        add("stack", "sliced [3,2] and a constant along dim 1",
                in -> sq(Ops.stack(new Tensor[] {in[0], in[1]}, 1)), ANY.sliced(3, 2), ANY.constant(3, 2));
        add("slice", "split of [2,5] into 2, 2, 1 recombined",
                in -> {
                    Tensor[] p = Ops.split(in[0], 2, 1);
                    return Ops.concat(new Tensor[] {sq(p[0]), p[2], p[1]}, 1);
                }, ANY.of(2, 5));
        add("slice", "chunk of [3,4] into two, multiplied",
                in -> {
                    Tensor[] p = Ops.chunk(in[0], 2, -1);
                    return Ops.mul(p[0], p[1]);
                }, ANY.of(3, 4));
    }
}
