package loomd.process;

import java.time.Duration;

/** The two limits upstream applies to builders (--timeout and --max-silent-time). */
public sealed interface TimeLimit permits TimeLimit.WallClock, TimeLimit.Silence {

    Duration duration();

    /** Upstream's wording, e.g. {@code building of `/gnu/store/...drv' timed out after 10 seconds}. */
    String describe(String goalName);

    /** The process ran longer than {@code duration} in total. */
    record WallClock(Duration duration) implements TimeLimit {
        public WallClock {
            requirePositive(duration);
        }

        @Override
        public String describe(String goalName) {
            return goalName + " timed out after " + duration.toSeconds() + " seconds";
        }
    }

    /** The process wrote nothing for {@code duration}. */
    record Silence(Duration duration) implements TimeLimit {
        public Silence {
            requirePositive(duration);
        }

        @Override
        public String describe(String goalName) {
            return goalName + " timed out after " + duration.toSeconds() + " seconds of silence";
        }
    }

    private static void requirePositive(Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("a time limit must be positive: " + d);
        }
    }
}
