package loomd.daemon.build;

import java.util.List;

/**
 * A build error (daemon.md §4.12): the build ran but its result is refused, or it failed. Not an
 * operation error: the goal fails with it, its message goes to the client at error level after
 * {@link #tracesBefore()} (the {@code @ hash-mismatch} line), then the {@code @ build-failed} trace.
 *
 * @param kind         what the failure table of §4.12 makes of it
 * @param tracesBefore trace lines (with their newline) printed before the message, if traces are on
 */
public final class BuildFailure extends Exception {
    /** The result codes of §4.15 that a build error can have. */
    public enum Kind { OUTPUT_REJECTED, PERMANENT, TRANSIENT }

    private final Kind kind;
    private final List<String> tracesBefore;

    public BuildFailure(Kind kind, String message) {
        this(kind, message, List.of());
    }

    public BuildFailure(Kind kind, String message, List<String> tracesBefore) {
        super(message, null, false, false);
        this.kind = kind;
        this.tracesBefore = List.copyOf(tracesBefore);
    }

    public Kind kind() {
        return kind;
    }

    public List<String> tracesBefore() {
        return tracesBefore;
    }
}
