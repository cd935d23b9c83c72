package loomd.daemon.store.db;

import java.lang.System.Logger.Level;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import loomd.daemon.store.StoreException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Retrying SQLITE_BUSY (and SQLITE_PROTOCOL, its WAL cousin) by sleeping between attempts: the
 * sleep parks a virtual thread instead of pinning its carrier, which a busy timeout inside SQLite
 * would. Another process can hold the database locked for as long as it likes (a {@code sqlite3}
 * left inside {@code BEGIN EXCLUSIVE} on a rollback-journal database), so a bounded retry gives up
 * after its limit with an error that names the cause; the writer's retry is unbounded, as upstream's.
 */
final class BusyRetry {
    private static final System.Logger LOG = System.getLogger(BusyRetry.class.getName());
    private static final long FIRST_PAUSE_MS = 1;
    private static final long LONGEST_PAUSE_MS = 100;

    /** One attempt; its SQLExceptions decide whether to try again. */
    interface Attempt<T> {
        T run() throws SQLException;
    }

    private final String database;
    private final AtomicBoolean warned = new AtomicBoolean();

    BusyRetry(String database) {
        this.database = database;
    }

    /** Tries until an attempt succeeds, fails otherwise than busy, or {@code limit} (null: none) is spent. */
    <T> T run(Attempt<T> attempt, Duration limit) {
        long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
        long pause = FIRST_PAUSE_MS;
        while (true) {
            try {
                return attempt.run();
            } catch (SQLiteException e) {
                if (!isBusy(e)) throw new StoreException(e.getMessage(), e);
                if (warned.compareAndSet(false, true)) LOG.log(Level.WARNING, "warning: SQLite database is busy");
                long left = deadline - System.nanoTime();
                if (left <= 0) throw lockedByAnother(limit, e);
                sleep(Math.min(ThreadLocalRandom.current().nextLong(pause, 2 * pause + 1),
                        Math.max(1, left / 1_000_000)));
                pause = Math.min(2 * pause, LONGEST_PAUSE_MS);
            } catch (SQLException e) {
                throw new StoreException(e.getMessage(), e);
            }
        }
    }

    static boolean isBusy(SQLiteException e) {
        SQLiteErrorCode code = e.getResultCode();
        return code == SQLiteErrorCode.SQLITE_BUSY || code == SQLiteErrorCode.SQLITE_PROTOCOL
                || (code != null && code.name().startsWith("SQLITE_BUSY"));
    }

    private StoreException lockedByAnother(Duration limit, SQLiteException cause) {
        return new StoreException("the store database `" + database + "' is locked by another process"
                + " (still busy after " + shown(limit) + ")", cause);
    }

    private static String shown(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted");
        }
    }
}
