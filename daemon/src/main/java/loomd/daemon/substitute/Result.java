package loomd.daemon.substitute;

/** A fetching helper's status, interpreted: what to register, or why the goal failed. */
sealed interface Result {
    record Good(String narHashBase16, long narSize) implements Result {}

    record Bad(String message) implements Result {}
}
