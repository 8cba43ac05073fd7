package dev.zerograd.kernels;

/**
 * A {@link Parallel.RangeTask} over coarse units of work: images, channels, planes, rows. {@link Parallel}
 * cuts a range into chunks of multiples of 64 indices, which would leave 64 images or 32 channels in one
 * chunk; a unit task therefore runs {@code units * 64} indices on the pool and hands {@link #runUnits} the
 * units themselves, so chunks are whole units and a batch of 8 images still spreads over the threads.
 *
 * <p>Subclasses are preallocated per calling thread (the pool's workers read their fields, which the caller
 * sets before {@link #forUnits} and nobody changes while the region runs), so a region allocates nothing.
 */
abstract class UnitTask implements Parallel.RangeTask {
    private static final int SHIFT = 6;

    /**
     * Elements of work below which a region is not worth starting (a region costs a few microseconds; a
     * simple element costs about a nanosecond), and the least work one chunk gets.
     */
    static final long MIN_WORK = 32_768;

    @Override
    public final void run(long from, long to) {
        runUnits(from >>> SHIFT, to >>> SHIFT);
    }

    /** Processes the units {@code [from, to)}; may run on any pool thread, concurrently with other units. */
    abstract void runUnits(long from, long to);

    /**
     * Runs units {@code [0, units)}, each about {@code workPerUnit} elements of work, on the pool when there is
     * more than {@link #MIN_WORK} in all, on the caller otherwise.
     */
    final void forUnits(long units, long workPerUnit) {
        if (units <= 0) {
            return;
        }
        long grain = Math.max(1, Math.ceilDiv(MIN_WORK, Math.max(1, workPerUnit)));
        if (units <= grain) {
            runUnits(0, units);
            return;
        }
        Parallel.forRange(units << SHIFT, grain << SHIFT, this);
    }
}
