package loomd.daemon.store.db;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import loomd.daemon.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk is transient: once space is back, the store writes again. Found by the stress
 * campaign (issue 15): sqlite-jdbc finalises a statement whose step fails with SQLITE_FULL (anything
 * but BUSY, LOCKED, CONSTRAINT or MISUSE), the connection's statement cache kept it, and every later
 * write through it failed with "statement is not executing" until the daemon restarted. The full disk
 * is made with {@code max_page_count}, which fails exactly as a full file system does.
 */
class DiskFullRecoveryTest {
    @TempDir Path dir;

    @Test
    void writesWorkAgainAfterTheDatabaseWasFull() throws Exception {
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(dir.resolve("db")))) {
            db.write(d -> GroupCommitTest.register(d, 0));
            long pages = db.read(d -> Long.parseLong(d.queryString("pragma page_count;")));
            db.write(d -> {
                d.exec("pragma max_page_count = " + pages + ";");
                return null;
            });
            StoreException full = assertThrows(StoreException.class, () -> {
                for (int i = 1; i < 10_000; i++) {
                    int n = i;
                    db.write(d -> GroupCommitTest.register(d, n));
                }
            });
            assertTrue(full.getMessage().contains("database or disk is full"), full.getMessage());
            db.write(d -> {
                d.exec("pragma max_page_count = 1073741823;");
                return null;
            });
            for (int i = 10_000; i < 10_010; i++) {
                int n = i;
                db.write(d -> GroupCommitTest.register(d, n));
            }
            boolean valid = db.read(d -> StoreQueries.isValid(d, GroupCommitTest.path(10_009)));
            assertTrue(valid, "registered after the disk freed");
        }
    }
}
