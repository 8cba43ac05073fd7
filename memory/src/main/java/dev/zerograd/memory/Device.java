package dev.zerograd.memory;

/** Where a tensor's bytes live. CPU tensors live in a {@link TensorArena}'s off-heap slab. */
public enum Device {
    CPU("cpu"),
    CUDA("cuda");

    private final String shortName;

    Device(String shortName) {
        this.shortName = shortName;
    }

    @Override
    public String toString() {
        return shortName;
    }
}
