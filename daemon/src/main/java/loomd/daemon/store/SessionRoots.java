package loomd.daemon.store;

/**
 * The temporary GC roots of one session: every path added stays protected from garbage
 * collection until {@link #close} (session end) removes the session's temp-roots file.
 */
public interface SessionRoots extends AutoCloseable {
    void addTempRoot(String path);

    @Override
    void close();
}
