/**
 * Weights on disk in the safetensors format: {@link dev.zerograd.nn.io.SafeTensors} writes and reads
 * tensors, with a strict reader of the header ({@link dev.zerograd.nn.io.SafeTensorsHeader}).
 */
package dev.zerograd.nn.io;
