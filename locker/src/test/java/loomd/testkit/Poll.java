package loomd.testkit;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * The one polling loop of the tests: look again, with pauses growing from 1 ms to 20 ms, until a
 * condition holds or a deadline passes. Callers keep their own assertion on the outcome, so a
 * timeout fails with the caller's message (and, for {@link #until(Duration, Probe, Predicate)},
 * with the last value seen). An interrupt ends the polling early, with the interrupt flag kept.
 */
public final class Poll {
    private static final long FIRST_PAUSE_MS = 1;
    private static final long LONGEST_PAUSE_MS = 20;

    private Poll() {}

    /** A check that may throw what the code it looks at throws. */
    @FunctionalInterface
    public interface Condition<E extends Exception> {
        boolean holds() throws E;
    }

    /** A reading of some state, taken again on every round. */
    @FunctionalInterface
    public interface Probe<T, E extends Exception> {
        T read() throws E;
    }

    /** Whether {@code condition} held within {@code timeout} (checked at once, then after each pause). */
    public static <E extends Exception> boolean until(Duration timeout, Condition<E> condition) throws E {
        return until(timeout, condition::holds, Boolean::booleanValue);
    }

    /** Reads {@code probe} until {@code done} accepts the value or {@code timeout} passes; returns the last value. */
    public static <T, E extends Exception> T until(Duration timeout, Probe<T, E> probe, Predicate<? super T> done)
            throws E {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_PAUSE_MS;
        T value = probe.read();
        while (!done.test(value) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return value;
            }
            pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
            value = probe.read();
        }
        return value;
    }
}
