package dev.zerograd.nn.data;

import dev.zerograd.memory.Tensor;

/**
 * A labelled dataset held off-heap: {@code images[N, ...]} (one row per example) and {@code labels[N]}.
 *
 * @param name for messages ({@code "fashion-mnist train"})
 * @param images the inputs; dim 0 indexes the examples
 * @param labels the class of each example, in {@code [0, classes)}
 * @param classes number of classes
 */
public record Dataset(String name, Tensor images, Tensor labels, int classes) {
    public Dataset {
        if (images.rank() < 1 || labels.rank() != 1 || images.size(0) != labels.size(0)) {
            throw new IllegalArgumentException("Dataset '" + name + "': images " + images.describe() + " and labels "
                    + labels.describe() + " must have the same number of rows, with labels of rank 1");
        }
        if (classes < 1) {
            throw new IllegalArgumentException("Dataset '" + name + "': classes must be positive, got " + classes);
        }
    }

    /** Number of examples. */
    public int size() {
        return (int) labels.size(0);
    }

    /**
     * The images as a {@code [N, features]} view (for MLPs) sharing their bytes; the view's handle comes from
     * the images' arena. Allocates: call once, not per step.
     */
    public Tensor flatImages() {
        return images.rank() == 2 ? images : images.reshape(images.size(0), -1);
    }
}
