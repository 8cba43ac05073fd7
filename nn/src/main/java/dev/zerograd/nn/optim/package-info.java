/**
 * Optimizers that update parameters in place off-heap ({@link dev.zerograd.nn.optim.SGD},
 * {@link dev.zerograd.nn.optim.Adam}, {@link dev.zerograd.nn.optim.AdamW}, PyTorch's semantics), learning-rate
 * schedules ({@link dev.zerograd.nn.optim.StepLR}, {@link dev.zerograd.nn.optim.CosineAnnealingLR},
 * {@link dev.zerograd.nn.optim.LinearWarmup}, {@link dev.zerograd.nn.optim.ExponentialLR}) and gradient
 * clipping ({@link dev.zerograd.nn.optim.GradClip}).
 */
package dev.zerograd.nn.optim;
