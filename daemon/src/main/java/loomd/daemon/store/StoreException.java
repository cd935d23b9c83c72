package loomd.daemon.store;

/**
 * A store operation failed with a message the client sees verbatim (upstream's exact texts,
 * e.g. {@code path `/gnu/store/…' is not valid}) and the status word of {@code STDERR_ERROR}.
 */
public final class StoreException extends RuntimeException {
    private final int status;

    public StoreException(String message, int status) {
        super(message);
        this.status = status;
    }

    public StoreException(String message) {
        this(message, 1);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
        this.status = 1;
    }

    public int status() {
        return status;
    }

    /** Upstream's "not valid" text with backquote-apostrophe quoting (queryPathInfo, exportPath). */
    public static StoreException notValid(String path) {
        return new StoreException("path `" + path + "' is not valid");
    }

    /**
     * Upstream's "not valid" text from {@code queryValidPathId}, which uses typographic quotes:
     * raised for a missing reference during registration and for derivation-output queries.
     */
    public static StoreException notValidId(String path) {
        return new StoreException("path \u2018" + path + "\u2019 is not valid");
    }
}
