package dev.zerograd.memory;

/** Thrown when a {@link TensorArena} cannot satisfy an allocation; carries the figures needed to size it. */
public final class ArenaExhaustedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long requested;
    private final long available;
    private final long capacity;

    ArenaExhaustedException(String arenaName, String what, long requested, long available, long capacity) {
        super("TensorArena '" + arenaName + "' exhausted while allocating " + what + ": requested " + requested
                + " bytes, available " + available + " bytes of capacity " + capacity
                + " bytes; create the arena with a larger capacity (e.g. TensorArena.ofConfined("
                + Math.max(capacity * 2, capacity + requested) + "))");
        this.requested = requested;
        this.available = available;
        this.capacity = capacity;
    }

    public long requested() {
        return requested;
    }

    public long available() {
        return available;
    }

    public long capacity() {
        return capacity;
    }
}
