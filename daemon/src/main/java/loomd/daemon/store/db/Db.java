package loomd.daemon.store.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * One SQLite connection with its prepared statements. Not thread-safe: a {@code Db} is used
 * by one thread at a time (the writer thread, or the borrower of a pooled read connection).
 */
public final class Db implements AutoCloseable {
    private final Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    Db(Connection connection) {
        this.connection = connection;
    }

    /** The prepared statement for {@code sql}, prepared once per connection. */
    public PreparedStatement stmt(String sql) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        if (ps != null && !reusable(ps)) {
            statements.remove(sql);
            closeQuietly(ps);
            ps = null;
        }
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            statements.put(sql, ps);
            ps.clearParameters();
        }
        return ps;
    }

    /**
     * sqlite-jdbc finalizes a statement whose step failed (SQLITE_FULL, SQLITE_IOERR...): kept in the
     * cache, it would fail every later use with "statement is not executing", the transaction control
     * statements included, and wedge the writer for good. Such a statement is prepared anew.
     */
    private static boolean reusable(PreparedStatement ps) {
        try {
            if (ps.isClosed()) {
                return false;
            }
            ps.clearParameters();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private static void closeQuietly(PreparedStatement ps) {
        try {
            ps.close();
        } catch (SQLException ignored) {
            // already finalized by the driver
        }
    }

    /** Runs every statement of {@code sql} (sqlite3_exec: executeUpdate, unlike execute, runs them all). */
    public void exec(String sql) throws SQLException {
        try (var st = connection.createStatement()) {
            st.executeUpdate(sql);
        }
    }

    /** Runs one statement through its cached prepared statement (transaction control on the hot path). */
    public void run(String sql) throws SQLException {
        stmt(sql).executeUpdate();
    }

    public String queryString(String sql) throws SQLException {
        try (var rs = stmt(sql).executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    @Override
    public void close() {
        statements.values().forEach(Db::closeQuietly);
        statements.clear();
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
    }
}
