package loomd.daemon.build.builtin;

/**
 * An error of a built-in builder, after the builder "started": upstream's helper prints it as
 * {@code error: MESSAGE} to the build log and exits 1, so it becomes an ordinary build failure.
 */
final class BuiltinError extends Exception {
    BuiltinError(String message) {
        super(message, null, false, false);
    }
}
