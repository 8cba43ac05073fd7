package dev.zerograd.tape;

import static dev.zerograd.tape.OpCases.add;
import static dev.zerograd.tape.OpCases.gradientOf;
import static dev.zerograd.tape.OpCases.indices;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.OpCases.Range;

/**
 * Gradcheck cases of indexing (IndexOps), softmax (SoftmaxOps) and the losses (LossOps). Index tensors are
 * I64 constants with repeated positions where the op allows them (the transposes then accumulate).
 * {@code cross_entropy_backward} exists only inside cross-entropy's backward pass, so it is checked as the
 * gradient of cross-entropy taken as a function ({@link OpCases#gradientOf}).
 */
final class OpCasesIndexSoftmaxLoss {
    private OpCasesIndexSoftmaxLoss() {}

    private static final Range ANY = Range.between(-2, 2);

    static void register() {
        indexing();
        softmax();
        losses();
    }

    private static void indexing() {
        add("gather", "dim 1 of [3,4], repeated positions", in -> Ops.gather(in[0], 1, in[1]),
                ANY.of(3, 4), indices(new long[] {0, 3, 2, 2, 1, 0}, 3, 2));
        add("gather", "dim 0 of [3,4] with a smaller index [2,3]", in -> Ops.gather(in[0], 0, in[1]),
                ANY.of(3, 4), indices(new long[] {2, 0, 1, 2, 2, 0}, 2, 3));
        add("gather", "index larger than x along the dim", in -> Ops.gather(in[0], 1, in[1]),
                ANY.of(2, 2), indices(new long[] {1, 1, 0, 0, 1, 0}, 2, 3));
        add("gather", "of a transposed view", in -> Ops.gather(in[0], 1, in[1]),
                ANY.transposed(3, 2), indices(new long[] {1, 0, 1}, 3, 1));
        add("gather", "then squared", in -> Ops.square(Ops.gather(in[0], 0, in[1])), ANY.of(3), indices(new long[] {2, 2, 0}, 3));

        add("scatter_add", "src [3,2] into base [3,4] along 1, repeated positions", in -> Ops.scatterAdd(in[0], 1, in[1], in[2]),
                ANY.of(3, 4), indices(new long[] {0, 0, 3, 1, 2, 2}, 3, 2), ANY.of(3, 2));
        add("scatter_add", "constant base", in -> Ops.scatterAdd(in[0], 0, in[1], in[2]),
                ANY.constant(3, 2), indices(new long[] {2, 0, 2, 2}, 2, 2), ANY.of(2, 2));
        add("scatter_add", "src a transposed view", in -> Ops.scatterAdd(in[0], 0, in[1], in[2]),
                ANY.of(4, 3), indices(new long[] {3, 0, 1, 1, 3, 0}, 2, 3), ANY.transposed(2, 3));
        add("scatter_add", "of products (the gradient depends on the inputs)", in -> Ops.scatterAdd(Ops.square(in[0]), 0, in[1], Ops.mul(in[2], in[2])),
                ANY.of(3), indices(new long[] {1, 1}, 2), ANY.of(2));

        add("index_select", "rows {2, 0, 2} of [4,3]", in -> Ops.indexSelect(in[0], 0, in[1]),
                ANY.of(4, 3), indices(new long[] {2, 0, 2}, 3));
        add("index_select", "columns {1, 1} of [2,3]", in -> Ops.indexSelect(in[0], 1, in[1]),
                ANY.of(2, 3), indices(new long[] {1, 1}, 2));
        add("index_select", "of a transposed view", in -> Ops.indexSelect(in[0], 0, in[1]),
                ANY.transposed(3, 2), indices(new long[] {1, 2}, 2));
        add("index_select", "embedding [2,2] indices into [4,3] weights", in -> Ops.embedding(in[0], in[1]),
                ANY.of(4, 3), indices(new long[] {3, 0, 3, 1}, 2, 2));
        add("index_select", "then a product", in -> Ops.mul(Ops.indexSelect(in[0], 0, in[1]), in[0]),
                ANY.of(3), indices(new long[] {2, 1, 0}, 3));

        add("index_add", "src [2,3] into rows {1, 3} of [4,3]", in -> Ops.indexAdd(in[0], 0, in[1], in[2]),
                ANY.of(4, 3), indices(new long[] {1, 3}, 2), ANY.of(2, 3));
        add("index_add", "repeated columns, constant base", in -> Ops.indexAdd(in[0], 1, in[1], in[2]),
                ANY.constant(2, 3), indices(new long[] {2, 2, 0}, 3), ANY.of(2, 3));
        add("index_add", "src a transposed view", in -> Ops.indexAdd(in[0], 0, in[1], in[2]),
                ANY.of(3, 2), indices(new long[] {0, 2}, 2), ANY.transposed(2, 2));
        add("index_add", "of products", in -> Ops.indexAdd(Ops.mul(in[0], in[0]), 0, in[1], Ops.tanh(in[2])),
                ANY.of(3), indices(new long[] {0, 0}, 2), ANY.of(2));
    }

    private static void softmax() {
        for (String op : new String[] {"softmax", "log_softmax"}) {
            boolean log = op.equals("log_softmax");
            add(op, "dim 1 of [3,4]", in -> log ? Ops.logSoftmax(in[0], 1) : Ops.softmax(in[0], 1), ANY.of(3, 4));
            add(op, "dim 0 of [3,2]", in -> log ? Ops.logSoftmax(in[0], 0) : Ops.softmax(in[0], 0), ANY.of(3, 2));
            add(op, "dim -1 of [2,2,3]", in -> log ? Ops.logSoftmax(in[0], -1) : Ops.softmax(in[0], -1), ANY.of(2, 2, 3));
            add(op, "[5]", in -> log ? Ops.logSoftmax(in[0], 0) : Ops.softmax(in[0], 0), ANY.of(5));
            add(op, "of a transposed view", in -> log ? Ops.logSoftmax(in[0], 1) : Ops.softmax(in[0], 1), ANY.transposed(3, 2));
            add(op, "large logits (stability)", in -> log ? Ops.logSoftmax(in[0], 1) : Ops.softmax(in[0], 1),
                    Range.between(300, 303).of(2, 3));
            add(op, "weighted sum (the gradient depends on x)",
                    in -> Ops.sum(Ops.mul(log ? Ops.logSoftmax(in[0], 1) : Ops.softmax(in[0], 1), in[1]), 1, false),
                    ANY.of(2, 3), ANY.constant(2, 3));
        }
        Range probabilities = Range.between(0.05, 0.6);
        add("softmax_backward", "g [2,3], y [2,3] along 1", in -> SoftmaxOps.softmaxBackward(in[0], in[1], 1),
                ANY.of(2, 3), probabilities.of(2, 3));
        add("softmax_backward", "along 0, y constant", in -> SoftmaxOps.softmaxBackward(in[0], in[1], 0),
                ANY.of(3, 2), probabilities.constant(3, 2));
        add("softmax_backward", "as the gradient of sum(softmax(x) w)",
                gradientOf(in -> Ops.sum(Ops.mul(Ops.softmax(in[0], 1), in[1])), 0), ANY.of(2, 3), ANY.of(2, 3));
        Range logProbabilities = Range.between(-3, -0.2);
        add("log_softmax_backward", "g [2,3], y [2,3] along 1", in -> SoftmaxOps.logSoftmaxBackward(in[0], in[1], 1),
                ANY.of(2, 3), logProbabilities.of(2, 3));
        add("log_softmax_backward", "along 0, y a transposed view", in -> SoftmaxOps.logSoftmaxBackward(in[0], in[1], 0),
                ANY.of(3, 2), logProbabilities.transposed(3, 2));
        add("log_softmax_backward", "as the gradient of sum(log_softmax(x) w)",
                gradientOf(in -> Ops.sum(Ops.mul(Ops.logSoftmax(in[0], -1), in[1])), 0), ANY.of(2, 3), ANY.of(2, 3));
    }

    private static void losses() {
        long[] labels = {2, 0, 1, 2};
        add("cross_entropy", "mean over [4,3]", in -> Ops.crossEntropy(in[0], in[1]), ANY.of(4, 3), indices(labels, 4));
        add("cross_entropy", "sum, label smoothing 0.1", in -> Ops.crossEntropy(in[0], in[1], Reduction.SUM, 0.1, Ops.NO_IGNORE_INDEX),
                ANY.of(4, 3), indices(labels, 4));
        add("cross_entropy", "mean, ignoring label 0", in -> Ops.crossEntropy(in[0], in[1], Reduction.MEAN, 0, 0),
                ANY.of(4, 3), indices(labels, 4));
        add("cross_entropy", "mean, smoothing 0.2, ignoring label 1", in -> Ops.crossEntropy(in[0], in[1], Reduction.MEAN, 0.2, 1),
                ANY.of(4, 3), indices(labels, 4));
        add("cross_entropy", "logits a transposed view", in -> Ops.crossEntropy(in[0], in[1]),
                ANY.transposed(4, 3), indices(labels, 4));
        add("cross_entropy", "of a linear layer", in -> Ops.crossEntropy(Ops.matmul(in[0], in[1]), in[2]),
                ANY.of(4, 2), ANY.of(2, 3), indices(labels, 4));

        add("cross_entropy_backward", "gradient of the mean loss", gradientOf(in -> Ops.crossEntropy(in[0], in[1]), 0),
                ANY.of(3, 4), indices(new long[] {3, 0, 3}, 3));
        add("cross_entropy_backward", "gradient of w * loss (the upstream gradient varies)",
                gradientOf(in -> Ops.mul(in[2], Ops.crossEntropy(in[0], in[1], Reduction.SUM, 0.1, Ops.NO_IGNORE_INDEX)), 0),
                ANY.of(3, 4), indices(new long[] {1, 2, 0}, 3), Range.between(0.5, 2).of());
        add("cross_entropy_backward", "gradient with an ignored label", gradientOf(in -> Ops.crossEntropy(in[0], in[1], Reduction.MEAN, 0.1, 2), 0),
                ANY.of(3, 4), indices(new long[] {1, 2, 0}, 3));
    }
}
