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
 *   <li>Nothing is fsynced per file: the one sync, {@code syncfs} of the store's file systems, runs
 *       on the {@code loomd-flusher} platform thread ({@link loomd.daemon.store.durable.Flusher}),
 *       for a group of adds, or at once for a repair ({@code Flusher.syncNow}); after a flush with
 *       new rows the same thread checkpoints SQLite's WAL (passively, on a connection of its own), so
 *       no add's commit copies the WAL back.</li>
 *   <li>Exchanges with {@code guix authenticate} (fork, request, blocking pipe read) run on one
 *       platform thread, {@code loomd-authenticate}, which also serialises them.</li>
 *   <li>Waiting for a lock never happens on a virtual thread's carrier: it goes through the
 *       locker ({@link loomd.daemon.store.roots.FileLocker}).</li>
 * </ul>
 *
 * <h2 id="locks">Lock table</h2>
 * The one list of the store's locks; the locker, roots, db and daemon packages point here. File
 * locks are OFD locks (so they conflict, both ways, with upstream's classic fcntl locks on the same
 * files), held by the locker process, except uncontended item locks (4), which the daemon takes
 * itself without waiting (below); {@code V} is the state directory, {@code S} the store.
 * <table>
 *   <caption>Locks, in the order they may be taken</caption>
 *   <tr><th>lock</th><th>holder and mode</th><th>held</th><th>guards</th></tr>
 *   <tr><td>1. {@code <db>/big-lock}</td><td>the store ({@code LocalStore}), shared</td>
 *       <td>from open to close</td><td>the schema against an exclusive holder (nothing in Guix takes
 *       it exclusively; a schema upgrade would)</td></tr>
 *   <tr><td>2. {@code V/gc.lock}</td><td>a collector (upstream's or loomd's) or a verification,
 *       exclusive; a session or the store's staging roots, shared; the store's start, tried only
 *       (to remove a dead collector's {@code trash})</td><td>collector: marking and
 *       deleting; verification: its existence phase; shared: only while a temp-roots file is created or re-locked, and by
 *       {@code syncWithGC} (taken and dropped). Probed, not locked, after every temp root
 *       ({@code GcProbe})</td><td>that no collection starts while a temp-roots file is unlocked, so
 *       none is missed; the probe tells an append whether a collection may have read its file
 *       already (<a href="#temp-roots">temp roots</a>)</td></tr>
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
 *       registration. A set is taken in byte order, all before any work: first in this process
 *       ({@code F_OFD_SETLK} only), else, if one is busy, by the locker, which waits. A locker
 *       release is sent without waiting for it</td></tr>
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
 * <p>Item locks in this process ({@code roots.OfdItemLocks}). A set of item locks is first tried
 * here: each lock file opened ({@code O_CREAT|O_CLOEXEC}), {@code F_OFD_SETLK} (never
 * {@code SETLKW}), upstream's stale check (a non-empty file: reopen), in the set's byte order. If
 * one is busy, or anything fails, every lock this attempt took is released at once and the whole
 * set goes to the locker as before, which waits for it off the virtual threads; as this attempt
 * never waits while holding, it adds no lock-order edge. Released as upstream: unlink, {@code "d"}
 * written, unlock, close. The locker's guarantees hold because of one rule: <b>the daemon owns each
 * such descriptor's whole life</b> (opened by the attempt, held by that one lock object, never
 * duplicated, passed or inherited, closed only by its release, after the unlock). An OFD lock
 * belongs to its open file description, so no other close in this process can drop it; two
 * operations of this daemon hold two descriptions and exclude each other like two processes (one
 * waits in the locker, whose lock conflicts with ours); other processes' classic and OFD locks
 * conflict with it. Bounds: at most 1,024 such descriptors at once and 64 per set; beyond that the
 * locker holds the locks. Unlike the locker's, these locks are never lost while the daemon lives
 * ({@code checkHeld} cannot fail), and they die with it, as the locker's do.
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
 *       are seen the same way: negative answers are cached too, within the trust window only. A
 *       caller that knows another process has just written ({@code guix offload} registering the
 *       outputs it brought back, daemon.md §6.4) calls {@code PathQueries.seeForeignCommits} first,
 *       which polls at once. They take no item lock of their own (their callers are expected to
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
 * <h2 id="durability">Durability: group sync, durable checkpoint, start-up check</h2>
 * Protocol ({@code --durability=batched}, the default, and {@code strict}; {@link Durability}):
 * <ol>
 *   <li>An add ({@code addToStore}, each import batch; build outputs through
 *       {@code registerValidPaths}) writes its tree under a temporary name in the store
 *       (temp-rooted by {@link loomd.daemon.store.roots.StagingRoots}), canonicalises it without
 *       any fsync, takes its item locks, re-checks validity in the database, renames the tree into
 *       place, registers it (one write for the whole batch), releases the locks and replies.
 *       {@code addTextToStore} writes its one file straight to its final name under the item lock,
 *       as upstream (the destination is temp-rooted by the session before the lock; a new file,
 *       {@code O_EXCL}, after removing any leftover), canonicalises and registers it: until the
 *       registration nothing names it valid, so a cut-off write is unregistered garbage as a
 *       cut-off rename would be. In
 *       strict mode it first waits for the flush covering its newest row ({@code Flusher.settle}),
 *       which it shares with every request waiting meanwhile.</li>
 *   <li>The flusher, every flush interval while the highest {@code ValidPaths} id (AUTOINCREMENT's
 *       counter) is above the checkpoint, and at once when a strict request waits: reads that id
 *       {@code H}; calls {@code syncfs} on the store's file system (and the database's, if another);
 *       writes {@code <db>/loomd-durable} = (running, {@code H}) as a new file, fsynced, renamed over
 *       the old one, directory fsynced; then releases the strict requests that arrived before it
 *       read {@code H}. A failed sync leaves the checkpoint where it was (strict requests fail with
 *       "syncing the store: …"; batched mode tries again next interval).</li>
 *   <li>Clean stop: the writer thread stops after its last commit, then a final flush writes
 *       (clean, {@code H}).</li>
 *   <li>Start, before the daemon listens ({@code Main} opens the store first): the file says clean:
 *       nothing to check. Running: every valid path with an id above its checkpoint is hashed
 *       (NAR SHA-256 and size, in parallel) and compared with its row; the damaged ones (missing,
 *       empty, truncated, changed) are invalidated together with every path referring to them,
 *       transitively, in one transaction, and each is logged ({@code repair: …}), then a summary
 *       line with the count and time. Rows at or below the checkpoint are never read. Absent: the
 *       first start of loomd on this store: the rows present are taken as durable (upstream gives
 *       no stronger guarantee for them). Unreadable: everything is verified. Ahead of the database:
 *       it belongs to another database; start anew. Then the file is written (running, checkpoint)
 *       durably, before the first add can be acknowledged.</li>
 * </ol>
 * Crash argument. The invariant: every row with an id at or below the file's checkpoint has its
 * contents on disk.
 * <ul>
 *   <li>Why it holds: a tree is renamed into place before its row commits; ids are handed out in
 *       commit order (AUTOINCREMENT under SQLite's single write lock, whichever process writes), so
 *       when {@code H} is read every row up to it is committed and its tree in place; {@code syncfs}
 *       starts after that read and writes back every dirty page and inode of the file system: the
 *       trees, the renames, the WAL frames of the commits ({@code synchronous=normal} does not fsync
 *       them itself); the file names {@code H} only after {@code syncfs} returned. The file is
 *       replaced atomically and durably, so a cut while writing it leaves the old checkpoint (more to
 *       verify, never less). It says running, durably, before anything is acknowledged, so a clean
 *       mark of the last stop never survives into a run that had unsynced adds.</li>
 *   <li>kill -9 at any point: the kernel keeps every write already made (page cache) and writes it
 *       back later; a path is registered only after its rename, so no registered path lacks its
 *       contents. Unregistered temporary names are removed at the next start ({@code TempNames});
 *       an item renamed but not registered is garbage that the next add of that path replaces. The
 *       next start finds the file running and verifies the rows above the checkpoint: intact.</li>
 *   <li>Power cut: the page cache is lost. Rows at or below the checkpoint: the invariant. Rows
 *       above it may have lost their contents, or may be lost themselves (SQLite's WAL recovers a
 *       prefix of the commits): a lost row leaves unregistered garbage; a surviving one is verified
 *       at the next start and, if damaged, invalidated with its referrers (a valid path's
 *       references stay valid) before any client is served. Nothing registered at or below the
 *       checkpoint is touched or lost. In batched mode an add acknowledged after the last checkpoint
 *       may be lost (at most about one flush interval plus one sync); in strict mode the reply waits
 *       for the checkpoint covering it, so nothing acknowledged is lost.</li>
 *   <li>Rows that keep their id: a registration of a path that is already valid updates its hash
 *       and size in place (upstream's {@code registerValidPaths}), and that row is not re-verified.
 *       loomd never replaces the contents of a valid path: adds and imports skip what is valid
 *       under their item lock. A future repair that does must make its new tree durable
 *       ({@code Flusher.awaitDurable} of a flush after writing it) before renaming it over the old one,
 *       and the rename before updating the row.</li>
 *   <li>Other writers: rows of an upstream daemon or of {@code register-items} get ids too; their
 *       trees were in place before their commits (their own contract), so the next flush covers
 *       them, and they are verified like loomd's after an unclean stop. Upstream ignores
 *       {@code loomd-durable}: while it runs on the store its adds have upstream's guarantee; when
 *       loomd starts after it, a clean file leaves its rows unchecked, as upstream would.</li>
 * </ul>
 *
 * <h2 id="temp-roots">Temp roots: the file contract, without a locker round trip per root</h2>
 * For other processes nothing changes: each temp-roots file (a session's, or one of the store's
 * staging files) is created under a shared {@code gc.lock}, is shared-locked for its owner's life,
 * and holds every root ({@code path\0}) before its owner acts on that root. A collector (upstream's
 * GC, or any following its protocol) takes {@code gc.lock} exclusively before reading temp-roots
 * files and keeps it, and its shared lock on each file, until its deletions are done.
 * <ul>
 *   <li>An append is one {@code write(2)} (O_APPEND, under the instance's mutex) without the file's
 *       exclusive lock, then a probe of {@code gc.lock} ({@code F_OFD_GETLK}, read-lock probe:
 *       reports a write lock held by anyone, OFD or classic; {@code GcProbe}).</li>
 *   <li>No exclusive holder at the probe, which follows the write: a collection holding
 *       {@code gc.lock} later took it after the probe, so it reads the file after the write (the
 *       kernel orders lock acquisitions; reads after a write see it) and keeps the root. A
 *       collection that held it earlier released it before the probe, its deletions committed: the
 *       caller's validity check, made after the root is added, sees them.</li>
 *   <li>An exclusive holder: the collection may have read the file before the write. The append
 *       then takes upstream's path: an exclusive lock on the file through the locker, which that
 *       collector's shared lock holds off until it is done, and back to shared; after that, as
 *       above. (A collector that had not read the file yet reads the root.) A read racing the
 *       write sees at worst a last entry without its NUL, which upstream's reader drops.</li>
 *   <li>A root already in the current file is not appended again (up to
 *       {@code TempRoots.REMEMBERED} per file): its first append made it safe against every
 *       collection. The memory is dropped with the file (a new file after a locker death).</li>
 *   <li>loomd's own collector (issue 11) lives in this process. Through the file protocol
 *       (gc.lock exclusive through the locker, each temp-roots file, loomd's included, shared-locked
 *       and read) the cheap append stays correct as it is: the probe sees it, the slow path waits
 *       for it. If it reads the sessions' roots in memory instead, it must provide the same gate in
 *       memory: a "collecting" flag set before it reads the roots and cleared after its deletions,
 *       checked after each root is recorded, with a wait for the collection's end where the file
 *       protocol takes the exclusive lock.</li>
 * </ul>
 * Item locks are released without waiting for the locker's answer: the locker handles one link's
 * requests in order, so any later request of this daemon for the same lock file queues behind the
 * release; other processes see the lock freed a moment later, as if the add had taken longer; if
 * the locker died, the locks died with it.
 */
package loomd.daemon.store;
