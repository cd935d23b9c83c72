/**
 * The local store: SQLite database, adding and registering paths, import/export, temp roots and
 * GC roots, caches. {@link loomd.daemon.store.LocalStore} opens it and hands out one object per
 * capability: {@link loomd.daemon.store.PathQueries queries()}, {@link loomd.daemon.store.PathAdds
 * adds()} (including {@code registerValidPaths}, the many-paths registration for builds),
 * {@link loomd.daemon.store.Archives archives()}, {@link loomd.daemon.store.StoreRoots roots()},
 * {@link loomd.daemon.store.StoreGc gc()}.
 *
 * <h2>Threads</h2>
 * <ul>
 *   <li>Sessions call the capabilities from their virtual threads, many at once.</li>
 *   <li>All database writes run on one platform thread ({@code loomd-db-writer}) owning the only
 *       writer connection, each as one {@code BEGIN IMMEDIATE … COMMIT}; callers wait on a future.
 *       Only that connection has a busy timeout (1 h, as upstream).</li>
 *   <li>Point reads run on the caller's virtual thread with a pooled read-only connection (no busy
 *       timeout; SQLITE_BUSY is retried after a short sleep, which parks instead of pinning, for at
 *       most {@code StoreConfig.readBusyLimit}).</li>
 *   <li>Full scans ({@code queryAllValidPaths}) and validity checks of more than
 *       {@code StoreReader.POINT_READ_LIMIT} paths at once run on the {@code loomd-db-scan-*}
 *       platform threads.</li>
 *   <li>Every fsync (files, directories, the store directory after a rename) runs on the
 *       {@code loomd-fsync-*} platform threads ({@link loomd.daemon.store.fs}).</li>
 *   <li>Exchanges with {@code guix authenticate} (fork, request, blocking pipe read) run on one
 *       platform thread, {@code loomd-authenticate}, which also serialises them.</li>
 *   <li>Waiting for a lock never happens on a virtual thread's carrier: it goes through the
 *       locker ({@link loomd.daemon.store.roots.FileLocker}).</li>
 * </ul>
 *
 * <h2 id="locks">Lock table</h2>
 * The one list of the store's locks; the locker, roots, db and daemon packages point here. File
 * locks are OFD locks held by the locker process (so they conflict, both ways, with upstream's
 * classic fcntl locks on the same files); {@code V} is the state directory, {@code S} the store.
 * <table>
 *   <caption>Locks, in the order they may be taken</caption>
 *   <tr><th>lock</th><th>holder and mode</th><th>held</th><th>guards</th></tr>
 *   <tr><td>1. {@code <db>/big-lock}</td><td>the store ({@code LocalStore}), shared</td>
 *       <td>from open to close</td><td>the schema against an exclusive holder (nothing in Guix takes
 *       it exclusively; a schema upgrade would)</td></tr>
 *   <tr><td>2. {@code V/gc.lock}</td><td>a collector, exclusive (upstream's GC today, loomd's
 *       later); a session or the store's staging roots, shared</td><td>collector: marking and
 *       deleting; shared: only while a temp-roots file is created or re-locked, and by
 *       {@code syncWithGC} (taken and dropped)</td><td>that no collection starts while a temp-roots
 *       file is unlocked, so none is missed</td></tr>
 *   <tr><td>3. {@code V/temproots/loomd-<pid>-<label>-<n>}</td><td>its {@code TempRoots}
 *       (a session's, or one of the store's rotating {@code StagingRoots}), shared; exclusive while
 *       appending. A collector takes it exclusive with TRY (a dead owner) then shared to read</td>
 *       <td>the owner's life; exclusive for one append</td><td>the roots in it: an append waits
 *       while a collector reads. Created 0600 with O_EXCL; upstream's GC reads every file there and
 *       parses no name, upstream sessions only clear {@code temproots/<their pid>}</td></tr>
 *   <tr><td>4. {@code S/<item>.lock} (item locks)</td><td>one add, one import batch (up to 256
 *       items) or, later, one build goal (its output locks), exclusive, through
 *       {@code loomd.locker.PathLocks}</td><td>from before the validity re-check (in the database,
 *       never a cache) until the registration committed; then released with deletion (upstream's
 *       "d" mark)</td><td>creating the item: deleting leftovers at its name, the rename, the
 *       registration. A set is taken in byte order, all before any work</td></tr>
 *   <tr><td>5. {@code V/userpool/<uid>} (builds, to come)</td><td>a build goal, exclusive, TRY only
 *       </td><td>the build</td><td>one build user</td></tr>
 *   <tr><td>6. SQLite's write lock</td><td>{@code loomd-db-writer} only, inside {@code BEGIN
 *       IMMEDIATE … COMMIT}</td><td>one transaction</td><td>the database; no file lock is requested
 *       while it is held</td></tr>
 *   <tr><td>in-process mutexes</td><td>{@code TempRoots.lock}, {@code StagingRoots.mutex}</td>
 *       <td>one append or rotation</td><td>one temp-roots file; they are taken before that file's
 *       lock (3) and before gc.lock (2) when a file is created, and nothing else is taken under
 *       them</td></tr>
 * </table>
 * Rules. Locks are taken in the table's order, never one of a lower number while waiting for or
 * holding a higher one: temp roots (2, 3) are added before an add or import takes its item locks
 * (4), and never while item locks are held; a build will take its output locks (4) before its build
 * user (5); the collector takes gc.lock (2) before reading temp-roots files (3) and takes no item
 * lock (upstream's neither). Item locks are only ever taken as one sorted set per operation, so two
 * operations never wait on each other in a cycle; registration ({@code registerValidPaths}) takes
 * no lock itself: its caller holds the item locks. The locker's own rules apply underneath (one
 * lock per owner and file, EDEADLK on re-locking a self-held file, {@code relock} to change mode, a
 * lost owner never re-locked behind its user's back): see the {@code loomd.locker} package.
 *
 * <h2>Other processes on the same store</h2>
 * loomd does not assume it is the only writer. What it assumes, and how it copes:
 * <ul>
 *   <li>An upstream {@code guix-daemon} (or a second loomd) on the same store uses the same lock
 *       files, temp-roots protocol, gc.lock and database, so adds, imports and builds of both
 *       exclude each other per item, and upstream's collector honours loomd's temp roots (loomd's
 *       collector, to come, must honour upstream's {@code temproots/<pid>} files the same way).
 *       Its commits, its collector's deletions included, are seen through {@code PRAGMA
 *       data_version} (the db package): at the next write of this store at once, by reads after at
 *       most the cache trust window ({@code StoreConfig.cacheTrust}, 100 ms); every cache is then
 *       dropped. A decision to create a path or skip creating it reads the database, never the
 *       cache, so a path deleted by another collector is made again.</li>
 *   <li>Guix's Scheme {@code register-items} ({@code guix system init}, {@code guix copy}'s and
 *       {@code guix offload}'s helpers) and {@code sqlite3} write {@code db.sqlite} directly. They
 *       are seen the same way. They take no item lock of their own (their callers are expected to
 *       protect the items), so an add of the same path may race one of them: loomd's registration
 *       updates the existing row instead of failing, and an item's contents depend only on its
 *       path for content-addressed items.</li>
 *   <li>A foreign process may hold the database locked. Writes wait up to an hour per attempt and
 *       retry, as upstream's; in WAL mode reads are never blocked, and on a rollback-journal
 *       database ({@code use-sqlite-wal} off) a read gives up after {@code readBusyLimit} with
 *       "the store database … is locked by another process".</li>
 *   <li>Files in the store may change behind the database's back: an export checks the NAR hash
 *       against the recorded one and refuses on a mismatch. Temporary names
 *       ({@code .loomd-tmp-<pid>-…}) of dead processes are removed at start; other names are left
 *       to their owners and the collector.</li>
 *   <li>Paths from outside (import bundles, temp roots, registrations, invalidations) must be
 *       strict store paths ({@link loomd.protocol.store.StorePath#parseStrict}) before anything
 *       is locked, created, deleted or rooted by their name.</li>
 * </ul>
 *
 * <h2>Durability order of an add</h2>
 * Temporary name in the store (temp-rooted through the store's own, rotating temp-roots files,
 * {@link loomd.daemon.store.roots.StagingRoots}) → canonicalise + fsync every file and directory →
 * rename to the final name under its path lock → fsync the store directory → register. A batch
 * (an import) does each step for all its items before the next step. A crash leaves a complete
 * unregistered item (garbage) or a temporary name, which {@code TempNames} removes at the next
 * start; an item is never registered before its contents are durable.
 */
package loomd.daemon.store;
