package dev.zerograd.nn;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.TensorArena;

/**
 * The two default models of the training job, for 28x28 grey-scale images in 10 classes (Fashion-MNIST).
 * Both return logits; train them with {@code Ops.crossEntropy(logits, labels)}.
 *
 * <p><b>MLP</b> ({@value #MLP_PARAMETERS} parameters), input {@code [N, 784]} or {@code [N, 1, 28, 28]}:
 * <pre>
 * 0 Flatten                 [N, 784]
 * 1 Linear(784, 256)        1.weight [256, 784], 1.bias [256]
 * 2 ReLU
 * 3 Linear(256, 256)        3.weight [256, 256], 3.bias [256]
 * 4 ReLU
 * 5 Linear(256, 10)         5.weight [10, 256],  5.bias [10]
 * </pre>
 *
 * <p><b>CNN</b> ({@value #CNN_PARAMETERS} parameters), input {@code [N, 1, 28, 28]}:
 * <pre>
 * 0 Conv2d(1, 32, 3, pad 1)     0.weight [32, 1, 3, 3], 0.bias [32]     [N, 32, 28, 28]
 * 1 ReLU
 * 2 MaxPool2d(2)                                                        [N, 32, 14, 14]
 * 3 Conv2d(32, 64, 3, pad 1)    3.weight [64, 32, 3, 3], 3.bias [64]    [N, 64, 14, 14]
 * 4 ReLU
 * 5 MaxPool2d(2)                                                        [N, 64, 7, 7]
 * 6 Flatten                                                             [N, 3136]
 * 7 Linear(3136, 128)           7.weight [128, 3136], 7.bias [128]
 * 8 ReLU
 * 9 Linear(128, 10)             9.weight [10, 128], 9.bias [10]
 * </pre>
 *
 * <p>Weights are initialized as PyTorch initializes these layers (Kaiming-uniform with a = sqrt(5), bias
 * uniform in +-1/sqrt(fan_in)) from the seed's stream (Note [Initialization seeds] in {@link Parameters}), so a
 * seed fixes the model on every machine. The one-argument factories allocate the parameters in a shared arena
 * the model owns and frees on {@link Module#close()}, sized by {@link #arenaBytes} for the parameters, their
 * gradients and any optimizer's state; the {@link Parameters} factories use the caller's arena.
 */
public final class Models {
    private Models() {}

    /** Parameter elements of {@link #mlp}: 784*256+256 + 256*256+256 + 256*10+10. */
    public static final long MLP_PARAMETERS = 269_322;
    /** Parameter elements of {@link #cnn}: 1*32*9+32 + 32*64*9+64 + 3136*128+128 + 128*10+10. */
    public static final long CNN_PARAMETERS = 421_642;

    private static final int MLP_TENSORS = 6;
    private static final int CNN_TENSORS = 8;

    /** The MLP in an F32 arena of its own, initialized from {@code seed}. Close it to free its memory. */
    public static Sequential mlp(long seed) {
        TensorArena arena = TensorArena.ofShared("mlp-parameters", arenaBytes(MLP_PARAMETERS, MLP_TENSORS, DType.F32));
        try {
            return owning(arena, mlp(Parameters.of(arena, seed)));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The MLP with parameters drawn from {@code p}. */
    public static Sequential mlp(Parameters p) {
        return new Sequential(
                new Flatten(),
                new Linear(p, 784, 256),
                new ReLU(),
                new Linear(p, 256, 256),
                new ReLU(),
                new Linear(p, 256, 10));
    }

    /** The CNN in an F32 arena of its own, initialized from {@code seed}. Close it to free its memory. */
    public static Sequential cnn(long seed) {
        TensorArena arena = TensorArena.ofShared("cnn-parameters", arenaBytes(CNN_PARAMETERS, CNN_TENSORS, DType.F32));
        try {
            return owning(arena, cnn(Parameters.of(arena, seed)));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The CNN with parameters drawn from {@code p}. */
    public static Sequential cnn(Parameters p) {
        return new Sequential(
                new Conv2d(p, 1, 32, 3, 1, 1),
                new ReLU(),
                new MaxPool2d(2),
                new Conv2d(p, 32, 64, 3, 1, 1),
                new ReLU(),
                new MaxPool2d(2),
                new Flatten(),
                new Linear(p, 64 * 7 * 7, 128),
                new ReLU(),
                new Linear(p, 128, 10));
    }

    /**
     * Bytes a parameter arena needs for {@code elements} parameter elements in {@code tensors} tensors of
     * {@code dtype}: the parameters, their gradients and six optimizer state tensors each (Adam with AMSGrad
     * takes three; two optimizers may be made over a model's life), plus alignment padding and 64 KiB of
     * headroom for buffers.
     */
    public static long arenaBytes(long elements, int tensors, DType dtype) {
        long copies = 8;
        return copies * (elements * dtype.byteSize() + (long) tensors * TensorArena.ALIGNMENT) + (64 << 10);
    }

    private static Sequential owning(TensorArena arena, Sequential model) {
        model.own(arena);
        return model;
    }
}
