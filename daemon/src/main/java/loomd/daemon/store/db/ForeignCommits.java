package loomd.daemon.store.db;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Notices commits by other processes (an upstream guix-daemon and its GC, guix's Scheme
 * {@code register-items}, {@code guix offload}, {@code sqlite3}) through {@code PRAGMA data_version}
 * on the writer connection. Its value changes exactly when another connection committed since the
 * last look; loomd's read connections never commit, so on the writer connection a change means a
 * foreign writer (on a read connection, loomd's own writes would change it too).
 *
 * <p>Threads: {@link #check} runs only on the writer thread (it owns the connection): at the start of
 * every write transaction and when {@link StoreDatabase#cacheMayAnswer} finds the last check older
 * than the trust window. Listeners run there, after a change and before the check counts as done.
 */
final class ForeignCommits {
    private final long trustNanos;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    /** A check is queued on the writer thread: readers queue at most one. */
    final AtomicBoolean queued = new AtomicBoolean();
    /** When the last completed check began ({@link System#nanoTime}). */
    private volatile long checkedAt;
    /** Writer thread only. */
    private String lastVersion;

    ForeignCommits(Duration trust) {
        this.trustNanos = trust.toNanos();
    }

    void onCommit(Runnable listener) {
        listeners.add(listener);
    }

    /** Writer thread: reads data_version; tells the listeners if another process committed since the last look. */
    void check(Db writer) throws SQLException {
        long began = System.nanoTime();
        String version = writer.queryString("pragma data_version;");
        if (lastVersion != null && !lastVersion.equals(version)) listeners.forEach(Runnable::run);
        lastVersion = version;
        checkedAt = began;
    }

    /** True while the last check began less than the trust window ago. */
    boolean recent() {
        return System.nanoTime() - checkedAt < trustNanos;
    }
}
