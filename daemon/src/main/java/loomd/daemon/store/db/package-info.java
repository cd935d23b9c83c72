/**
 * The SQLite store database: upstream's schema text, schema file and pragmas, and the SQL of
 * upstream's {@code LocalStore}.
 *
 * <p>Threads: {@link loomd.daemon.store.db.StoreDatabase} owns one writer connection, used only by
 * its single platform thread {@code loomd-db-writer} ({@code GroupWriter}: the
 * writes queued meanwhile share one {@code BEGIN IMMEDIATE … COMMIT}, each in its own savepoint
 * unless alone; autoCommit stays on; a caller that is the only one waiting watches its future for
 * up to 250 µs with {@code sched_yield} before parking, {@code CommitSpin}), a fixed pool of read-only connections handed to one borrower at a
 * time (a {@link loomd.daemon.store.db.Db} is never shared by two threads at once), and two
 * platform threads for long scans. A last connection, opened on first use, checkpoints the WAL
 * passively ({@code StoreDatabase.checkpointWal}) on the flusher's platform thread after each flush
 * with new rows; the writer's automatic checkpoint (40,000 pages, upstream's) stays as a backstop
 * that a flushed WAL never reaches. Only the writer has a busy timeout (1 h per attempt, retried
 * without end, as upstream); readers retry busy errors after sleeping with backoff, which parks a
 * virtual thread instead of pinning its carrier, and give up after
 * {@link loomd.daemon.store.db.StoreDatabase.Settings#readBusyLimit} (60 s) with "the store database
 * … is locked by another process". Only another process can make a reader busy: its EXCLUSIVE lock
 * on a rollback-journal database; in WAL mode readers are never blocked.
 *
 * <p>Other writers ({@code ForeignCommits}). {@code PRAGMA data_version} is polled on the writer
 * connection only, on the writer thread: its value there changes exactly when another connection
 * committed, and loomd's read connections never commit, so a change means another process (an
 * upstream daemon, guix's {@code register-items}, {@code sqlite3}). On a read connection it would
 * also move with loomd's own commits, which is why reads do not poll it themselves. The rule:
 * <ul>
 *   <li>every write transaction polls it right after {@code BEGIN IMMEDIATE}, so no write is
 *       recorded on top of an unnoticed foreign commit;</li>
 *   <li>a cache of database answers may answer only while the last poll began less than
 *       {@code Settings.cacheTrust} (100 ms) ago ({@code StoreDatabase.cacheMayAnswer}); when it is
 *       older, that call queues one poll on the writer thread and the reader goes to the database,
 *       which is always current. So a foreign change is seen by reads within the trust window, and
 *       an idle daemon does not poll at all;</li>
 *   <li>on a change, the {@code onForeignCommit} listeners (the store's caches) drop everything
 *       before the poll counts as done.</li>
 * </ul>
 * The store's locks, SQLite's write lock among them, are in the lock table of the
 * {@link loomd.daemon.store store package}.
 */
package loomd.daemon.store.db;
