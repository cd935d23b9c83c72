package loomd.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

/**
 * How long a prompt reaction (a death noticed, a lock handed over) took, for tests on a shared,
 * loaded machine: the figure is printed to the test output, and the assertion only proves that
 * nothing waited for a timeout. {@link #PROMPT} is far above any healthy figure (milliseconds)
 * and far below the timeouts a missed event would fall back on (30 s, 60 s or never), so a
 * scheduler stall cannot fail the test while a missed event still does.
 */
public final class Stopwatch {
    /** The generous bound of {@link #assertPrompt(String)}. */
    public static final Duration PROMPT = Duration.ofSeconds(10);

    /** Longer than {@link #PROMPT}: how long a test waits for the event before failing outright. */
    public static final Duration PATIENCE = Duration.ofSeconds(30);

    private final long start;

    private Stopwatch(long start) {
        this.start = start;
    }

    public static Stopwatch start() {
        return new Stopwatch(System.nanoTime());
    }

    public long elapsedMillis() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Prints "{@code what}: N ms" and asserts N is below {@link #PROMPT}; returns N. */
    public long assertPrompt(String what) {
        long ms = elapsedMillis();
        System.out.println(what + ": " + ms + " ms");
        assertTrue(ms < PROMPT.toMillis(), what + " took " + ms + " ms, more than " + PROMPT.toSeconds()
                + " s: it waited for a timeout instead of reacting");
        return ms;
    }
}
