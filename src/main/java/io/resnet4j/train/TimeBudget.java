package io.resnet4j.train;

import java.util.function.LongSupplier;

/**
 * The wall-clock budget of a training run ({@link TrainOptions#budgetMinutes()}): how much of it is spent, and
 * whether the next step still fits. A part of the budget is held back for the last validation and checkpoint
 * (as long as the latest ones took), so the run ends about when the budget does rather than a validation later.
 * Time spent before a {@code --resume} counts.
 */
final class TimeBudget {
    private final double seconds;
    private final double spentBefore;
    private final LongSupplier nanoClock;
    private final long start;
    private double reserve;

    /**
     * @param seconds the whole budget (0 or less: none, never exhausted)
     * @param spentBefore seconds already spent by the run before this session (a resumed run)
     * @param nanoClock a monotonic clock in nanoseconds ({@link System#nanoTime} outside tests)
     */
    TimeBudget(double seconds, double spentBefore, LongSupplier nanoClock) {
        this.seconds = seconds;
        this.spentBefore = spentBefore;
        this.nanoClock = nanoClock;
        this.start = nanoClock.getAsLong();
    }

    boolean limited() {
        return seconds > 0;
    }

    /** Seconds spent by the run so far, this session and earlier ones. */
    double spent() {
        return spentBefore + (nanoClock.getAsLong() - start) / 1e9;
    }

    /** Seconds of the budget not yet spent (0 once it is all spent). */
    double secondsLeft() {
        return Math.max(0, seconds - spent());
    }

    /** The fraction of the training time spent, in [0, 1] (0 without a budget). */
    double fraction() {
        return limited() ? Math.min(1, spent() / (seconds - reserve)) : 0;
    }

    /** No more training steps fit: what is left is held back for the last validation and checkpoint. */
    boolean exhausted() {
        return limited() && spent() + reserve >= seconds;
    }

    /** What a checkpoint records as spent: all of the budget once it is exhausted, so a resume does not go on. */
    double checkpointSeconds() {
        return exhausted() ? Math.max(spent(), seconds) : spent();
    }

    /** Holds back {@code s} seconds (the latest validation and checkpoint) for the end; at most half the budget. */
    void reserve(double s) {
        reserve = Math.min(Math.max(0, s), seconds / 2);
    }

    /** Minutes of the whole budget. */
    double minutes() {
        return seconds / 60;
    }
}
