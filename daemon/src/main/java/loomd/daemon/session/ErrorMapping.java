package loomd.daemon.session;

import java.io.IOException;

import loomd.daemon.SettingsException;
import loomd.daemon.store.StoreException;

/**
 * The one place where a failure becomes what the client sees (protocol.md §7.2): a message and a
 * status for STDERR_ERROR, and whether the session must end regardless of the work phase.
 *
 * <p>Whether an ordinary error is fatal is not decided here but by the state of the stderr
 * channel when it surfaced: before the work phase the request may be half-read, so the session
 * ends; inside it the request was complete, so the session goes on.
 */
final class ErrorMapping {

    /**
     * @param message the STDERR_ERROR text
     * @param status the status word (1 unless a build or store error says otherwise)
     * @param alwaysFatal end the session even inside the work phase (out of memory, bugs)
     */
    record WireError(String message, int status, boolean alwaysFatal) { }

    private ErrorMapping() { }

    static WireError toWire(Throwable t) {
        return switch (t) {
            case SessionError e -> new WireError(e.getMessage(), e.status(), false);
            case StoreException e -> new WireError(e.getMessage(), e.status(), false);
            case SettingsException e -> new WireError(e.getMessage(), 1, false);
            case IOException e -> new WireError(textOf(e), 1, false);
            case OutOfMemoryError e -> new WireError("build daemon out of memory", 1, true);
            case IllegalArgumentException e -> new WireError(textOf(e), 1, false);
            default -> new WireError("unexpected build daemon error: " + textOf(t), 1, true);
        };
    }

    private static String textOf(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isEmpty() ? t.getClass().getSimpleName() : m;
    }
}
