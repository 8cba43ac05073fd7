/**
 * Neural-network building blocks on the tape: {@link dev.zerograd.nn.Module} (named parameters and buffers,
 * train/eval mode, safetensors save/load), the layers ({@link dev.zerograd.nn.Linear},
 * {@link dev.zerograd.nn.Conv2d}, {@link dev.zerograd.nn.BatchNorm2d}, {@link dev.zerograd.nn.LayerNorm},
 * {@link dev.zerograd.nn.Dropout}, {@link dev.zerograd.nn.Embedding}, pooling, activations,
 * {@link dev.zerograd.nn.Sequential}), seeded construction ({@link dev.zerograd.nn.Parameters}) and the
 * training job's default models ({@link dev.zerograd.nn.Models}). Initializers are in
 * {@code dev.zerograd.nn.init}, optimizers and schedules in {@code dev.zerograd.nn.optim}, data loading in
 * {@code dev.zerograd.nn.data}, weight files in {@code dev.zerograd.nn.io}.
 */
package dev.zerograd.nn;
