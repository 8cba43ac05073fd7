/** Seeded, deterministic parameter initializers ({@link dev.zerograd.nn.init.Init}), PyTorch's formulas. */
package dev.zerograd.nn.init;
