/**
 * The SQLite store database: upstream's schema text, schema file and pragmas, and the SQL of
 * upstream's {@code LocalStore}.
 *
 * <p>Threads: {@link loomd.daemon.store.db.StoreDatabase} owns one writer connection, used only by
 * its single platform thread {@code loomd-db-writer} (every write is one {@code BEGIN IMMEDIATE …
 * COMMIT}; autoCommit stays on), a fixed pool of read-only connections handed to one borrower at a
 * time (a {@link loomd.daemon.store.db.Db} is never shared by two threads at once), and two
 * platform threads for long scans. Only the writer has a busy timeout; readers retry busy errors
 * after sleeping, which parks a virtual thread instead of pinning its carrier.
 */
package loomd.daemon.store.db;
