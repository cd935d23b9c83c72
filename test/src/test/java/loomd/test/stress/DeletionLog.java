package loomd.test.stress;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Every invalidation of a valid path, with the moment it happened, recorded by the database itself:
 * a trigger on {@code ValidPaths} that the test installs next to upstream's schema. The daemon does
 * not know about it (its statements only see one more table), so what it records does not depend on
 * the daemon telling the truth about what its collector deleted. Times are the wall clock
 * ({@code unixepoch('subsec')}), the same clock as the clients' {@link System#currentTimeMillis}.
 */
final class DeletionLog {
    /** One row of {@code ValidPaths} gone: {@code id} is never reused (the column is AUTOINCREMENT). */
    record Deletion(String path, long id, long atMillis) {}

    private final Path dbFile;

    private DeletionLog(Path dbFile) {
        this.dbFile = dbFile;
    }

    /** Adds the log table and its trigger to the store database of a running daemon. */
    static DeletionLog install(Path dbFile) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile);
             Statement s = c.createStatement()) {
            s.execute("pragma busy_timeout = 60000");
            s.execute("create table if not exists TestDeletions (path text not null, id integer not null,"
                    + " at real not null)");
            s.execute("create trigger if not exists TestLogDeletion after delete on ValidPaths begin"
                    + " insert into TestDeletions (path, id, at) values (old.path, old.id, unixepoch('subsec'));"
                    + " end");
        }
        return new DeletionLog(dbFile);
    }

    List<Deletion> read() throws SQLException {
        List<Deletion> all = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + dbFile + "?mode=ro");
             Statement s = c.createStatement()) {
            s.execute("pragma busy_timeout = 60000");
            try (ResultSet r = s.executeQuery("select path, id, at from TestDeletions order by at")) {
                while (r.next()) all.add(new Deletion(r.getString(1), r.getLong(2), Math.round(r.getDouble(3) * 1000)));
            }
        }
        return all;
    }
}
