package dev.zerograd.memory;

/** Thrown when a {@link TensorArena} cannot satisfy an allocation; carries the figures needed to size it. */
public final class ArenaExhaustedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long requested;
    private final long available;
    private final long capacity;

    ArenaExhaustedException(String arenaName, String what, long requested, long available, long capacity) {
        super("TensorArena '" + arenaName + "' exhausted while allocating " + what + ": requested " + requested
                + " bytes" + alignedNote(requested) + ", available " + available + " bytes of capacity " + capacity
                + " bytes; create the arena with a larger capacity (e.g. TensorArena.ofConfined("
                + Math.max(capacity * 2, capacity + requested) + "))");
        this.requested = requested;
        this.available = available;
        this.capacity = capacity;
    }

    private static String alignedNote(long requested) {
        long aligned = (requested + (TensorArena.ALIGNMENT - 1)) & -TensorArena.ALIGNMENT;
        return aligned > requested ? " (" + aligned + " with " + TensorArena.ALIGNMENT + "-byte alignment)" : "";
    }

    /** Bytes asked for, before rounding up to {@link TensorArena#ALIGNMENT}. */
    public long requested() {
        return requested;
    }

    /** Bytes left in the arena when the allocation failed. */
    public long available() {
        return available;
    }

    /** The arena's capacity in bytes. */
    public long capacity() {
        return capacity;
    }
}
