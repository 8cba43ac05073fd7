package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;

/**
 * Modules applied one after the other, registered as children {@code "0"}, {@code "1"}, ... so their
 * parameters are named {@code 0.weight}, {@code 2.bias}, ... as in PyTorch's {@code nn.Sequential}.
 */
public final class Sequential extends Module {
    private final Module[] layers;

    public Sequential(Module... layers) {
        if (layers.length == 0) {
            throw new IllegalArgumentException("Sequential: needs at least one module");
        }
        this.layers = layers.clone();
        for (int i = 0; i < this.layers.length; i++) {
            if (this.layers[i] == null) {
                throw new IllegalArgumentException("Sequential: module " + i + " is null");
            }
            registerModule(Integer.toString(i), this.layers[i]);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = x;
        for (Module m : layers) {
            h = m.forward(h);
        }
        return h;
    }

    /** The i-th module. */
    public Module get(int i) {
        return layers[i];
    }

    /** Number of modules. */
    public int size() {
        return layers.length;
    }
}
