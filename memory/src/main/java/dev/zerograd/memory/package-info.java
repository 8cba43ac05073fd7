/**
 * Off-heap memory for zerograd: {@link dev.zerograd.memory.TensorArena} (bump allocation over one slab,
 * O(1) reset, pooled handles with stale-handle detection), {@link dev.zerograd.memory.Tensor} handles
 * (dtype, shape, strides, offset, device), {@link dev.zerograd.memory.DType} and the counter-based
 * generator {@link dev.zerograd.memory.Philox}.
 */
package dev.zerograd.memory;
