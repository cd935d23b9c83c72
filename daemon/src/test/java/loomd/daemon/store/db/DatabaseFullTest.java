package loomd.daemon.store.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.util.List;
import java.util.TreeSet;

import loomd.daemon.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write that fails because the database is full (the disk filled up) fails alone: once there is
 * room again, the writer goes on. sqlite-jdbc finalizes a statement whose step failed, so a writer
 * that kept reusing its cached statements (transaction control included) failed every later write
 * with "statement is not executing", found by the stress campaign's full-disk fault.
 */
class DatabaseFullTest {
    @TempDir Path dir;

    @Test
    void theWriterRecoversOnceTheDatabaseHasRoomAgain() throws Exception {
        try (StoreDatabase db = StoreDatabase.open(StoreDatabase.Settings.defaults(dir.resolve("db")))) {
            db.write(d -> GroupCommitTest.register(d, 0));
            long pages = db.write(d -> {
                try (ResultSet rs = d.stmt("pragma page_count;").executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
            db.write(d -> {
                d.exec("pragma max_page_count = " + (pages + 2) + ";");
                return null;
            });
            StoreException full = assertThrows(StoreException.class, () -> db.write(d -> {
                for (int i = 1; i < 100_000; i++) {
                    StoreQueries.register(d, List.of(Registration.of(GroupCommitTest.path(i), GroupCommitTest.HASH, 1,
                            new TreeSet<>(), "x".repeat(200))), r -> { }, 1);
                }
                return null;
            }));
            assertTrue(full.getMessage().contains("SQLITE_FULL"), full.getMessage());
            db.write(d -> {
                d.exec("pragma max_page_count = 1073741823;");
                return null;
            });
            for (int i = 200_000; i < 200_010; i++) {
                int n = i;
                db.write(d -> GroupCommitTest.register(d, n));
            }
            assertEquals(11L, (long) db.read(GroupCommitTest::count));
        }
    }
}
