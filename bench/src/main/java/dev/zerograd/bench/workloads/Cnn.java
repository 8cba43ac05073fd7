package dev.zerograd.bench.workloads;

import dev.zerograd.nn.Models;

/**
 * An SGD step of the default Fashion-MNIST CNN ({@link Models#cnn}: two 3x3 convolutions with ReLU and 2x2
 * max pooling, then 3136-128-10) on {@code [batch, 1, 28, 28]}. Parameters: {@code batch}.
 */
final class Cnn extends ModelStep {
    private Cnn(int batch, long seed) {
        // The step arena peaks at 57 MiB at batch 64 (im2col buffers and their gradients); over 3x room.
        super(Models.cnn(seed), null, new long[] {batch, 1, 28, 28}, 10, 2L * batch * (1 << 20) + (64L << 20));
    }

    static Cnn open(Params p, long seed) {
        return new Cnn(p.integer("batch"), seed);
    }
}
