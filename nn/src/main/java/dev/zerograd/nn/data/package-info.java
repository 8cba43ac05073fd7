/**
 * Training data off-heap: the IDX reader for (Fashion-)MNIST ({@link dev.zerograd.nn.data.Idx},
 * {@link dev.zerograd.nn.data.FashionMnist}) and allocation-free mini-batching with seeded per-epoch
 * shuffling ({@link dev.zerograd.nn.data.BatchLoader}, {@link dev.zerograd.nn.data.Shuffle}).
 */
package dev.zerograd.nn.data;
