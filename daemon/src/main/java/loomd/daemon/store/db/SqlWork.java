package loomd.daemon.store.db;

import java.sql.SQLException;

/** A unit of database work run with one connection (inside a transaction for writes). */
@FunctionalInterface
public interface SqlWork<T> {
    T run(Db db) throws SQLException;
}
