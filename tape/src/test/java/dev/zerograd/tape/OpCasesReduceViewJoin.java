package dev.zerograd.tape;

import static dev.zerograd.tape.OpCases.add;
import static dev.zerograd.tape.OpCases.distinct;
import static dev.zerograd.tape.OpCases.values;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.OpCases.Range;

/**
 * Gradcheck cases of the max/min/var reductions (ReduceOps), the views (ViewOps) and the joins (JoinOps).
 * Max and min along a dim use distinct values (the gradient goes to one element, so a tie has no
 * derivative); amax and amin also get a case with two tied maxima, where the even split of the gradient is
 * exactly what central differences measure (each tied element moves the max only when it is raised: half
 * the slope).
 */
final class OpCasesReduceViewJoin {
    private OpCasesReduceViewJoin() {}

    private static final Range ANY = Range.between(-2, 2);

    static void register() {
        extrema();
        variance();
        views();
        joins();
    }

    private static void extrema() {
        for (boolean isMax : new boolean[] {true, false}) {
            String op = isMax ? "max_dim" : "min_dim";
            add(op, "dim 1 of [3,4]", in -> isMax ? Ops.max(in[0], 1, false) : Ops.min(in[0], 1, false), distinct(3, 4));
            add(op, "dim 0 of [3,4], keepdim", in -> isMax ? Ops.max(in[0], 0, true) : Ops.min(in[0], 0, true), distinct(3, 4));
            add(op, "dim -1 of [2,3,2]", in -> isMax ? Ops.max(in[0], -1, false) : Ops.min(in[0], -1, false), distinct(2, 3, 2));
            add(op, "of []", in -> isMax ? Ops.max(in[0], 0, false) : Ops.min(in[0], 0, false), ANY.of());
            add(op, "dim 0 of a transposed view [4,3]", in -> isMax ? Ops.max(in[0], 0, false) : Ops.min(in[0], 0, false),
                    distinct(3, 4).transposed());
            add(op, "values of the WithIndices form",
                    in -> isMax ? Ops.maxWithIndices(in[0], 1, false, new Tensor[2]) : Ops.minWithIndices(in[0], 1, false, new Tensor[2]),
                    distinct(2, 5));
            add(op, "of a square (the gradient depends on x)",
                    in -> isMax ? Ops.max(Ops.square(in[0]), 1, false) : Ops.min(Ops.square(in[0]), 1, false), Range.between(0.2, 2).of(2, 3));

            String all = isMax ? "amax" : "amin";
            add(all, "all of [3,4]", in -> isMax ? Ops.max(in[0]) : Ops.min(in[0]), distinct(3, 4));
            add(all, "dims {0,2} of [2,3,2]", in -> isMax ? Ops.amax(in[0], new int[] {0, 2}, false) : Ops.amin(in[0], new int[] {0, 2}, false),
                    distinct(2, 3, 2));
            add(all, "dim 1 of [3,4], keepdim", in -> isMax ? Ops.amax(in[0], new int[] {1}, true) : Ops.amin(in[0], new int[] {1}, true),
                    distinct(3, 4));
            add(all, "all of []", in -> isMax ? Ops.max(in[0]) : Ops.min(in[0]), ANY.of());
            // first order only: at a tie the gradient jumps (from 1/2 to 1 or 0), so it has no derivative there
            add(all, "two tied extrema share the gradient", OpCases.STRICT.withSecondOrder(false), in -> isMax ? Ops.max(in[0]) : Ops.min(in[0]),
                    values(isMax ? new double[] {1, 3, -2, 3} : new double[] {1, -3, 2, -3}, 2, 2));
            add(all, "of a transposed view", in -> isMax ? Ops.amax(in[0], new int[] {1}, false) : Ops.amin(in[0], new int[] {1}, false),
                    Range.between(-2, 2).transposed(3, 2));
        }
    }

    private static void variance() {
        add("var", "all of [2,3] (unbiased)", in -> Ops.var(in[0]), ANY.of(2, 3));
        add("var", "dim 1 of [3,4]", in -> Ops.var(in[0], 1, false, 1), ANY.of(3, 4));
        add("var", "dim 0 of [3,2], keepdim, population", in -> Ops.var(in[0], 0, true, 0), ANY.of(3, 2));
        add("var", "dims {0,2} of [2,3,2]", in -> Ops.var(in[0], new int[] {0, 2}, false, 1), ANY.of(2, 3, 2));
        add("var", "dim 0 of a transposed view", in -> Ops.var(in[0], 0, false, 1), ANY.transposed(4, 2));
        add("var", "std (sqrt of var)", in -> Ops.std(in[0], 1, false, 1), ANY.of(2, 4));
        add("var", "of a product (the gradient depends on both)", in -> Ops.var(Ops.mul(in[0], in[1]), -1, false, 1),
                ANY.of(2, 3), ANY.of(3));
    }

    private static void views() {
        add("permute", "[2,3,4] to (2, 0, 1)", in -> Ops.permute(in[0], 2, 0, 1), ANY.of(2, 3, 4));
        add("permute", "transpose(0, 1) of [2,3]", in -> Ops.transpose(in[0], 0, 1), ANY.of(2, 3));
        add("permute", "negative dims (-1, 0, -2)", in -> Ops.permute(in[0], -1, 0, -2), ANY.of(2, 3, 2));
        add("permute", "of a transposed view", in -> Ops.permute(in[0], 1, 0), ANY.transposed(3, 2));
        add("permute", "then a product (the gradient depends on x)", in -> Ops.mul(Ops.transpose(in[0], 0, 1), in[1]),
                ANY.of(3, 2), ANY.of(2, 3));

        add("squeeze", "every size-1 dim of [1,3,1]", in -> Ops.squeeze(in[0]), ANY.of(1, 3, 1));
        add("squeeze", "dim 0 of [1,2,3]", in -> Ops.squeeze(in[0], 0), ANY.of(1, 2, 3));
        add("squeeze", "dim -1 of [2,1]", in -> Ops.squeeze(in[0], -1), ANY.of(2, 1));
        add("squeeze", "[1] to []", in -> Ops.squeeze(in[0]), ANY.of(1));
        add("squeeze", "of a product", in -> Ops.squeeze(Ops.mul(in[0], in[0])), ANY.of(3, 1));

        add("unsqueeze", "dim 0 of [2,3]", in -> Ops.unsqueeze(in[0], 0), ANY.of(2, 3));
        add("unsqueeze", "dim -1 of [2,3]", in -> Ops.unsqueeze(in[0], -1), ANY.of(2, 3));
        add("unsqueeze", "dim 1 of [2,3]", in -> Ops.unsqueeze(in[0], 1), ANY.of(2, 3));
        add("unsqueeze", "[] to [1]", in -> Ops.unsqueeze(in[0], 0), ANY.of());
        add("unsqueeze", "of a transposed view", in -> Ops.unsqueeze(in[0], 1), ANY.transposed(3, 2));
        add("unsqueeze", "then broadcast against a row", in -> Ops.mul(Ops.unsqueeze(in[0], 1), in[1]), ANY.of(3), ANY.of(4));

        add("slice", "[1, 3) of dim 1 of [2,4]", in -> Ops.slice(in[0], 1, 1, 3), ANY.of(2, 4));
        add("slice", "every 2nd of dim 0 of [5,2]", in -> Ops.slice(in[0], 0, 0, 5, 2), ANY.of(5, 2));
        add("slice", "negative start", in -> Ops.slice(in[0], -1, -2, 4), ANY.of(2, 4));
        add("slice", "narrow(dim 0, 1, 2) of [4]", in -> Ops.narrow(in[0], 0, 1, 2), ANY.of(4));
        add("slice", "of a transposed view", in -> Ops.slice(in[0], 0, 1, 3), ANY.transposed(3, 2));
        add("slice", "split into pieces, recombined", in -> {
            Tensor[] p = Ops.split(in[0], 2, 1);
            return Ops.add(Ops.mul(p[0], p[1]), Ops.sum(p[2], 1, true));
        }, ANY.of(2, 5));
        add("slice", "chunk into 3, recombined", in -> {
            Tensor[] p = Ops.chunk(in[0], 3, 0);
            return Ops.sub(Ops.mul(p[0], p[2]), p[1]);
        }, ANY.of(3, 2));
        add("slice", "overlapping slices of one tensor", in -> Ops.mul(Ops.slice(in[0], 0, 0, 3), Ops.slice(in[0], 0, 1, 4)), ANY.of(4));

        add("slice_backward", "[2,2] into [2,5] from 1 every 2nd", in -> ViewOps.sliceBackward(in[0], 1, 1, 2, 5), ANY.of(2, 2));
        add("slice_backward", "[1,3] into [4,3] at 2", in -> ViewOps.sliceBackward(in[0], 0, 2, 1, 4), ANY.of(1, 3));
        add("slice_backward", "of a transposed view", in -> ViewOps.sliceBackward(in[0], 1, 0, 1, 3), ANY.transposed(3, 2));
        add("slice_backward", "then squared", in -> Ops.square(ViewOps.sliceBackward(in[0], 0, 1, 1, 3)), ANY.of(1, 2));

        add("reshape", "flatten dims 1..2 of [2,3,2]", in -> Ops.flatten(in[0], 1, 2), ANY.of(2, 3, 2));
        add("reshape", "flatten a transposed view", in -> Ops.flatten(in[0]), ANY.transposed(3, 2));
    }

    private static void joins() {
        add("concat", "[2,3] and [1,3] along 0", in -> Ops.concat(new Tensor[] {in[0], in[1]}, 0), ANY.of(2, 3), ANY.of(1, 3));
        add("concat", "three along dim -1", in -> Ops.concat(new Tensor[] {in[0], in[1], in[2]}, -1),
                ANY.of(2, 1), ANY.of(2, 3), ANY.of(2, 2));
        add("concat", "one input constant", in -> Ops.concat(new Tensor[] {in[0], in[1]}, 1), ANY.of(2, 2), ANY.constant(2, 3));
        add("concat", "one tensor twice", in -> Ops.concat(new Tensor[] {in[0], in[0]}, 0), ANY.of(3));
        add("concat", "a transposed view and a contiguous one", in -> Ops.concat(new Tensor[] {in[0], in[1]}, 0),
                ANY.transposed(3, 2), ANY.of(1, 2));
        add("concat", "then a nonlinearity", in -> Ops.tanh(Ops.concat(new Tensor[] {Ops.mul(in[0], in[1]), in[1]}, 0)),
                ANY.of(2), ANY.of(2));

        add("stack", "two [2,3] along 0", in -> Ops.stack(new Tensor[] {in[0], in[1]}, 0), ANY.of(2, 3), ANY.of(2, 3));
        add("stack", "three [2] along -1", in -> Ops.stack(new Tensor[] {in[0], in[1], in[2]}, -1), ANY.of(2), ANY.of(2), ANY.of(2));
        add("stack", "rank-0 tensors into [3]", in -> Ops.stack(new Tensor[] {in[0], in[1], in[0]}, 0), ANY.of(), ANY.of());
        add("stack", "a constant and a transposed view along 1", in -> Ops.stack(new Tensor[] {in[0], in[1]}, 1),
                ANY.constant(3, 2), ANY.transposed(3, 2));
        add("stack", "then a product", in -> Ops.mul(Ops.stack(new Tensor[] {in[0], in[1]}, 0), in[0]), ANY.of(3), ANY.of(3));
    }
}
