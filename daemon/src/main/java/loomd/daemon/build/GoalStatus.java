package loomd.daemon.build;

/** Upstream's goal results (daemon.md §4.15). */
public enum GoalStatus {
    BUILT, SUBSTITUTED, ALREADY_VALID, NO_SUBSTITUTERS, PERMANENT_FAILURE, INPUT_REJECTED, OUTPUT_REJECTED,
    TRANSIENT_FAILURE, CACHED_FAILURE, TIMED_OUT, MISC_FAILURE, DEPENDENCY_FAILED;

    /** Success for a waiter; "no substituters" is not a failure at the top (§4.15, §9.22). */
    public boolean succeeded() {
        return this == BUILT || this == SUBSTITUTED || this == ALREADY_VALID;
    }

    /** What makes {@code wopBuildPaths} report a permanent failure (status 100). */
    public boolean permanent() {
        return this == PERMANENT_FAILURE || this == CACHED_FAILURE || this == INPUT_REJECTED;
    }

    static GoalStatus of(BuildFailure.Kind kind) {
        return switch (kind) {
            case OUTPUT_REJECTED -> OUTPUT_REJECTED;
            case PERMANENT -> PERMANENT_FAILURE;
            case TRANSIENT -> TRANSIENT_FAILURE;
        };
    }
}
