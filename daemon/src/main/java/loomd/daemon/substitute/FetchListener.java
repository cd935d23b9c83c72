package loomd.daemon.substitute;

/**
 * Where a substitution reports, called on the thread that asked for it: daemon messages at a level,
 * the fetching helper's raw output (traces such as {@code @ download-progress} included, forwarded as
 * read), and a cancellation probe (throws when the client hung up, which kills the helper).
 */
public interface FetchListener {
    void message(int level, String text);

    void output(byte[] chunk);

    void checkCancelled();

    /** Protects a path about to be fetched or relied on from the collector (a session temp root). */
    void tempRoot(String path);

    FetchListener SILENT = new FetchListener() {
        @Override public void message(int level, String text) { }
        @Override public void output(byte[] chunk) { }
        @Override public void checkCancelled() { }
        @Override public void tempRoot(String path) { }
    };
}
