package dev.zerograd.tape;

import static dev.zerograd.tape.OpCases.composite;
import static dev.zerograd.tape.OpCases.constant;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.OpCases.Range;

/**
 * Composite functions for the cross-cutting tests: small networks, losses, softmax and normalisation written
 * with primitive ops. Their derivatives come only from the primitives' rules, so they check that rules
 * compose (shared subexpressions, broadcasting inside a chain, gradients of gradients through many records).
 */
final class Composites {
    private Composites() {}

    private static final Range ANY = Range.between(-1, 1);

    /** Two-layer perceptron: tanh(x W1 + b1) W2 + b2. */
    static Tensor mlp(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2) {
        Tensor h = Ops.tanh(Ops.add(Ops.matmul(x, w1), b1));
        return Ops.add(Ops.matmul(h, w2), b2);
    }

    /** mean((mlp(x) - target)^2). */
    static Tensor mlpLoss(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2, Tensor target) {
        return Ops.mean(Ops.square(Ops.sub(mlp(x, w1, b1, w2, b2), target)));
    }

    /** exp(x) / sum(exp(x)) along the last dim, written with primitives. */
    static Tensor softmax(Tensor x) {
        Tensor e = Ops.exp(x);
        return Ops.div(e, Ops.sum(e, -1, true));
    }

    /** x - log(sum(exp(x))) along the last dim, written with primitives. */
    static Tensor logSoftmax(Tensor x) {
        return Ops.sub(x, Ops.log(Ops.sum(Ops.exp(x), -1, true)));
    }

    /** (x - mean) / sqrt(var + 1e-5) * gamma + beta over the last dim (population variance). */
    static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta) {
        Tensor centered = Ops.sub(x, Ops.mean(x, -1, true));
        Tensor var = Ops.mean(Ops.square(centered), -1, true);
        return Ops.add(Ops.mul(Ops.mul(centered, Ops.rsqrt(Ops.add(var, 1e-5))), gamma), beta);
    }

    /** softmax(q k^T / sqrt(d)) v for q [n, d], k [m, d], v [m, e]. */
    static Tensor attention(Tensor q, Tensor k, Tensor v) {
        Tensor scores = Ops.mul(Ops.matmul(q, false, k, true), 1.0 / Math.sqrt(q.size(q.rank() - 1)));
        return Ops.matmul(softmax(scores), v);
    }

    static void register() {
        composite("mlp loss: mean((tanh(x W1 + b1) W2 + b2 - t)^2)",
                in -> mlpLoss(in[0], in[1], in[2], in[3], in[4], in[5]),
                ANY.of(4, 3), ANY.of(3, 5), ANY.of(5), ANY.of(5, 2), ANY.of(2), ANY.constant(4, 2));
        composite("mlp with gelu and leaky_relu layers (non-scalar output)",
                in -> Ops.leakyRelu(Ops.add(Ops.matmul(Ops.gelu(Ops.add(Ops.matmul(in[0], in[1]), in[2])), in[3]), 0.3), 0.2),
                ANY.of(2, 3), ANY.of(3, 4), ANY.of(4), ANY.of(4, 2));
        composite("softmax over rows", in -> softmax(in[0]), Range.between(-2, 2).of(3, 4));
        composite("log-softmax over rows", in -> logSoftmax(in[0]), Range.between(-2, 2).of(2, 5));
        composite("cross-entropy by hand: -mean(sum(onehot * log_softmax(x W)))",
                in -> Ops.neg(Ops.mean(Ops.sum(Ops.mul(in[2], logSoftmax(Ops.matmul(in[0], in[1]))), 1, false))),
                ANY.of(3, 4), ANY.of(4, 3), constant(new double[] {1, 0, 0, 0, 0, 1, 0, 1, 0}, 3, 3));
        composite("layer norm by hand", in -> layerNorm(in[0], in[1], in[2]),
                Range.between(-2, 2).of(3, 4), Range.between(0.5, 1.5).of(4), ANY.of(4));
        composite("attention: softmax(q k^T / sqrt d) v", in -> attention(in[0], in[1], in[2]),
                ANY.of(2, 3), ANY.of(4, 3), ANY.of(4, 2));
        composite("logistic loss: mean(softplus(-y (x w + b)))",
                in -> Ops.mean(Ops.softplus(Ops.neg(Ops.mul(in[3], Ops.add(Ops.matmul(in[0], in[1]), in[2]))))),
                ANY.of(5, 3), ANY.of(3), ANY.of(), constant(new double[] {1, -1, -1, 1, 1}, 5));
        composite("shared subexpressions: h = x y; h h + sin(h) x - h / (1 + x^2)",
                in -> {
                    Tensor h = Ops.mul(in[0], in[1]);
                    return Ops.sub(Ops.add(Ops.mul(h, h), Ops.mul(Ops.sin(h), in[0])), Ops.div(h, Ops.add(Ops.square(in[0]), 1.0)));
                },
                Range.between(-1.5, 1.5).of(2, 3), Range.between(-1.5, 1.5).of(3));
        long[] labels = {1, 0, 2, 1};
        composite("nll_loss of log_softmax", in -> Ops.nllLoss(Ops.logSoftmax(in[0], 1), in[1]),
                ANY.of(4, 3), OpCases.indices(labels, 4));
        composite("nll_loss, sum, ignoring label 2", in -> Ops.nllLoss(in[0], in[1], Reduction.SUM, 2),
                ANY.of(4, 3), OpCases.indices(labels, 4));
        composite("cross_entropy per sample (NONE), smoothing 0.1, ignoring label 0",
                in -> Ops.crossEntropy(in[0], in[1], Reduction.NONE, 0.1, 0), ANY.of(4, 3), OpCases.indices(labels, 4));
        composite("mse_loss, mean and sum", in -> Ops.add(Ops.mseLoss(in[0], in[1]), Ops.mseLoss(in[1], in[0], Reduction.SUM)),
                ANY.of(2, 3), ANY.of(2, 3));
        composite("binary_cross_entropy of sigmoid", in -> Ops.binaryCrossEntropy(Ops.sigmoid(in[0]), in[1]),
                Range.between(-3, 3).of(2, 3), Range.between(0, 1).constant(2, 3));
        composite("binary_cross_entropy_with_logits, per element", in -> Ops.binaryCrossEntropyWithLogits(in[0], in[1], Reduction.NONE),
                Range.between(-3, 3).avoiding(0.1, 0).of(2, 3), Range.between(0, 1).of(2, 3));
        composite("chain through reshape, broadcast and sum_to",
                in -> Ops.sumTo(Ops.mul(Ops.expand(Ops.reshape(Ops.exp(in[0]), 2, 1, 3), 2, 4, 3), in[1]), in[2]),
                ANY.of(6), ANY.of(4, 3), ANY.constant(1, 4, 1));
    }
}
