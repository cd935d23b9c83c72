package loomd.bench;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The harnesses' settings, from system properties ({@code -Dloomd.bench.adds=500} on the Maven
 * command line reaches the test JVM: surefire passes the session's user properties on).
 */
final class Knobs {
    private static final String RUN_ID = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());

    private Knobs() {}

    /** The property's value, or "" when it is unset (an empty {@code -D} counts as unset). */
    static String text(String property) {
        String value = System.getProperty(property);
        return value == null ? "" : value.trim();
    }

    /** A positive count from {@code property}, or {@code fallback}. */
    static int count(String property, int fallback) {
        String value = text(property);
        if (value.isEmpty()) {
            return fallback;
        }
        int n = Integer.parseInt(value.replace("_", "").replace(",", ""));
        if (n <= 0) {
            throw new IllegalArgumentException(property + " must be positive: " + value);
        }
        return n;
    }

    /** Differs on every run: mixed into added contents so each run creates new store paths. */
    static String runId() {
        return RUN_ID;
    }
}
