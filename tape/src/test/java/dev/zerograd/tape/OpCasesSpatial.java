package dev.zerograd.tape;

import static dev.zerograd.tape.OpCases.add;

import dev.zerograd.kernels.Pool;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.OpCases.Leaf;
import dev.zerograd.tape.OpCases.Range;

/**
 * Gradcheck cases of ConvOps, PoolOps, NormOps and DropoutOps, for {@link OpCases} (call {@link #register()}
 * from its table); the wider sweeps over hyper-parameters live in ConvOpsTest, PoolOpsTest, NormOpsTest and
 * DropoutOpsTest. Ops linear in their differentiated input are squared, so the second-order check
 * differentiates their rules once more. Max-pooling inputs are drawn uniformly: a tie within a window closer
 * than the difference step has probability ~1e-6.
 */
final class OpCasesSpatial {
    private OpCasesSpatial() {}

    private static final Range ANY = Range.between(-1, 1);
    private static final Range SCALE = Range.between(0.5, 1.5);

    static void register() {
        convolution();
        pooling();
        normalization();
        add("dropout", "p 0.3 on [3,4], squared", in -> Ops.square(Ops.dropout(in[0], 0.3, 17, 0, true)), ANY.of(3, 4));
    }

    private static void convolution() {
        add("conv2d", "x [1,4,5,4] * w [2,2,2,2] + bias, stride (2,1), padding (1,2), dilation (1,2), groups 2",
                in -> Ops.conv2d(in[0], in[1], in[2], 2, 1, 1, 2, 1, 2, 2), ANY.of(1, 4, 5, 4), ANY.of(2, 2, 2, 2), ANY.of(2));
        add("conv2d", "x [2,2,4,4] * w [2,2,3,3], padding 1, no bias, squared",
                in -> Ops.square(Ops.conv2d(in[0], in[1], null, 1, 1)), ANY.of(2, 2, 4, 4), ANY.of(2, 2, 3, 3));
        add("conv2d_backward_input", "gy [1,2,3,2], w [2,2,3,3] onto 6x5, stride 2, padding (1,0), squared",
                in -> Ops.square(ConvOps.conv2dBackwardInput(in[0], in[1], 6, 5, 2, 2, 1, 0, 1, 1, 1)), ANY.of(1, 2, 3, 2),
                ANY.of(2, 2, 3, 3));
        add("conv2d_backward_weight", "gy [1,2,3,3], x [1,4,3,3], 2x2 kernel, padding 1, dilation 2, groups 2, squared",
                in -> Ops.square(ConvOps.conv2dBackwardWeight(in[0], in[1], 2, 2, 1, 1, 1, 1, 2, 2, 2)), ANY.of(1, 2, 3, 3),
                ANY.of(1, 4, 3, 3));
    }

    /** The positions max_pool2d saves for a 2x2 window, stride (2,1), padding (1,0) over [1,2,5,4] (a constant). */
    private static Leaf positions() {
        return (arena, seed) -> {
            Tensor x = ANY.fill(arena.empty(DType.F64, 1, 2, 5, 4), seed);
            Tensor idx = arena.empty(DType.I64, 1, 2, 3, 3);
            Pool.maxPool2d(x, 2, 2, 2, 1, 1, 0, 1, 1, arena.empty(DType.F64, 1, 2, 3, 3), idx);
            return idx;
        };
    }

    private static void pooling() {
        add("max_pool2d", "3x3, stride 2, padding 1 on [1,2,5,5], squared",
                in -> Ops.square(Ops.maxPool2d(in[0], 3, 3, 2, 2, 1, 1, 1, 1)), ANY.of(1, 2, 5, 5));
        add("max_pool2d", "2x2, stride 2 on transposed planes",
                in -> Ops.maxPool2d(in[0], 2, 2), (arena, seed) -> ANY.fill(arena.empty(DType.F64, 1, 2, 4, 4), seed)
                        .transpose(2, 3).requiresGrad());
        add("max_pool2d_backward", "onto [1,2,5,4], squared",
                in -> Ops.square(PoolOps.maxPool2dBackward(in[0], in[1], 5, 4)), ANY.of(1, 2, 3, 3), positions());
        add("avg_pool2d", "3x2, stride (2,1), padding 1, without the padding in the count, squared",
                in -> Ops.square(Ops.avgPool2d(in[0], 3, 2, 2, 1, 1, 1, false)), ANY.of(1, 2, 5, 4));
        add("avg_pool2d_backward", "3x3, stride 2, padding 1 onto 5x5, squared",
                in -> Ops.square(PoolOps.avgPool2dBackward(in[0], 5, 5, 3, 3, 2, 2, 1, 1, true)), ANY.of(1, 2, 3, 3));
        add("adaptive_avg_pool2d_1x1", "[2,3,2,3], squared", in -> Ops.square(Ops.adaptiveAvgPool2d1x1(in[0])), ANY.of(2, 3, 2, 3));
    }

    private static void normalization() {
        add("batch_norm", "training, gamma and beta, [3,2,2,2]",
                in -> Ops.batchNorm(in[0], in[1], in[2], null, null, true, 0.1, 1e-5), ANY.of(3, 2, 2, 2), SCALE.of(2), ANY.of(2));
        add("batch_norm", "training, no affine, [4,3], squared",
                in -> Ops.square(Ops.batchNorm(in[0], null, null, null, null, true, 0.1, 1e-5)), ANY.of(4, 3));
        add("batch_norm", "evaluation, gamma and beta, squared",
                in -> Ops.square(Ops.batchNorm(in[0], in[1], in[2], in[3], in[4], false, 0.1, 1e-5)),
                ANY.of(2, 2, 3), SCALE.of(2), ANY.of(2), ANY.constant(2), SCALE.constant(2));
        add("layer_norm", "over the last dim, gamma and beta",
                in -> Ops.layerNorm(in[0], 1, in[1], in[2], 1e-5), ANY.of(3, 4), SCALE.of(4), ANY.of(4));
        add("layer_norm", "over the last 2 dims, no affine, squared",
                in -> Ops.square(Ops.layerNorm(in[0], 2, null, null, 1e-5)), ANY.of(2, 2, 3));
    }
}
