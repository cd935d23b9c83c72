package loomd.daemon.session;

/**
 * An error the session raises itself, with upstream's text and status; like a
 * {@link loomd.daemon.store.StoreException} it is fatal before the work phase and recoverable in it.
 */
public final class SessionError extends Exception {
    private final int status;

    public SessionError(String message) {
        this(message, 1);
    }

    public SessionError(String message, int status) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
