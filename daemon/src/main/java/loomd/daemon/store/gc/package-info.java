/**
 * loomd's garbage collector ({@code wopCollectGarbage}, daemon.md §7): roots, an in-memory graph
 * of the database, marking, and deletion concurrent with adds and builds.
 *
 * <h2>Protocol</h2>
 * A collection ({@link loomd.daemon.store.gc.GarbageCollector}) runs on the calling thread for
 * orchestration only; every blocking step (SQLite scan, file deletion, {@code /proc}) runs on
 * platform threads. The collector's own threads run 10 nicer than the daemon ({@link
 * loomd.daemon.store.gc.GarbageCollector#backgroundThreads}): on a busy machine the sessions'
 * threads go first, so a collection costs adds and builds little latency. Its steps, in order:
 * <ol>
 *   <li>Delete actions: {@code <db>/reserved} is removed first, so a full disk can be collected.</li>
 *   <li>{@code V/gc.lock} exclusive (through the locker; "waiting for the big garbage collector
 *       lock..." if another collector, loomd's or upstream's, holds it), kept to the end of the
 *       deletion phase. This is the file contract with other processes: no foreign session can
 *       create a temp-roots file meanwhile, and no foreign {@code syncWithGC} returns.</li>
 *   <li>Temp roots ({@link loomd.daemon.store.gc.TempRootSource}): a snapshot of every temp root.
 *       Over files ({@link loomd.daemon.store.gc.FileTempRoots}, upstream's §7.3 reading): a file
 *       lockable exclusively is stale (removed, "d" written); another process's file is read under
 *       a shared lock that is KEPT until the end, so its owner's next append waits for us (as
 *       upstream's sessions wait for upstream's collector); a file of this process is read and its
 *       lock dropped at once, so loomd's sessions never wait for the collection to append a root,
 *       and it is re-read (from the offset already read) before each deletion chunk.</li>
 *   <li>Permanent roots ({@code RootFinder}) and runtime roots (a native {@code /proc} scan, plus
 *       {@code guix gc --list-busy} when {@code guix} is installed).</li>
 *   <li>Snapshot of the database: {@code ValidPaths}, {@code Refs}, {@code DerivationOutputs} read
 *       once, on a scan thread with one read connection (one WAL read transaction, so a consistent
 *       state), into {@link loomd.daemon.store.gc.GcGraph} (dense ints, CSR adjacency). Marking is
 *       one breadth-first pass from the roots over references plus, by the request's settings,
 *       the keep-derivations (output to its deriver) and keep-outputs (derivation to output)
 *       edges. Everything valid at the snapshot and unmarked is dead; everything registered after
 *       it is not in the graph and so is never deleted as a valid path.</li>
 *   <li>Selection as upstream (§7.5): invalid entries of {@code S} first in {@code readdir} order,
 *       then the dead valid paths in random order, referrers before their references. Without a
 *       byte limit (all dead paths go) newest row first instead, for the database's locality.</li>
 *   <li>Deletion in chunks. For each chunk, with the chunk's {@link loomd.daemon.store.gc.RootGate}
 *       stripes held: (a) temp roots are refreshed and every rooted path (and every
 *       {@code X.lock}/{@code X.chroot} of a rooted {@code X}) is dropped from the chunk; (b) write
 *       transactions through the store's single writer, each a few milliseconds of work so a
 *       session's registration never waits for more than one, re-check each path with ONE
 *       statement, the delete of its snapshot row id: the schema's {@code on delete restrict}
 *       refuses it when something refers to the path now (newly referenced since the snapshot:
 *       kept); no row means it was registered anew (kept if valid now); an invalid-at-snapshot
 *       entry that is now valid (registered since) is kept; (c) each surviving directory is
 *       renamed into {@code S/trash}, other entries are unlinked on platform threads, overlapping
 *       the next transaction; (d) the stripes are released once the chunk's unlinks are
 *       done (so the collector holds at most two chunks' stripes). A path kept in
 *       (a) or (b) keeps everything it references: its references then still have a referrer
 *       outside the deleted set, so they are kept by (b) in their own chunk.</li>
 *   <li>Locks released; then {@code S/trash} is deleted (its entries in parallel) and
 *       {@code .links} cleaned (upstream's step 7), outside every lock.</li>
 * </ol>
 *
 * <h2>Why a root added during a collection is safe</h2>
 * A session adds a temp root through {@link loomd.daemon.store.gc.RootGate#rooting}, which holds
 * the path's stripe while the root is written, then re-checks validity in the database before
 * relying on the path (as upstream's sessions do after {@code addTempRoot}). Either the root was
 * written before the collector took the stripe, and (a) sees it (read-after-write on the file, or
 * the in-memory set); or it is written after the stripe is released, when the path is invalid and
 * already moved away, and the session's re-check sees it invalid and makes it again. A session
 * (past its first root, below) waits only when its path's stripe is one of the (at most two)
 * chunks' the collector holds, rare with {@link loomd.daemon.store.gc.RootGate#STRIPES} stripes,
 * and then for at most those chunks (at most {@link loomd.daemon.store.gc.GarbageCollector#CHUNK}
 * paths each: short transactions, renames and unlinks), never for the whole collection. An entry created
 * after {@code readdir} is never considered; an entry a creator is about to replace is rooted by
 * its creator before it is created (store package: durability order), hence seen in (a).
 * Registrations since the snapshot are serialised with (b) by the single writer.
 *
 * <h2>A session's first root</h2>
 * A session's temp-roots file is normally created under a shared {@code gc.lock} (so no collector
 * ever finds it unlocked). While THIS process's collector holds {@code gc.lock}, the session creates
 * and locks its file under that collector's hold instead ({@code GcProbe#underOwnCollector}): no
 * other collector can run meanwhile, this collector reads own files without locks (and picks new
 * ones up on each refresh), and it releases {@code gc.lock} only after such a creation has
 * finished. So a loomd session's first root never waits for a loomd collection; it still waits for
 * a foreign one (upstream's file protocol). Keeping the roots only in memory (no file) is left.
 *
 * <h2>Locks</h2>
 * In the store's lock table ({@link loomd.daemon.store store package}): the collector takes
 * gc.lock (2) before the temp-roots files (3), takes no item lock (4), and waits for SQLite's write
 * lock (6) only inside the single writer. The {@code RootGate} stripes are in-process mutexes
 * taken after gc.lock and the temp-roots files (collector) and before a temp-roots file's lock
 * (sessions). A session holds its path's stripe while it writes the root, which for its first root
 * may include waiting for gc.lock shared (a foreign collector's): so the collector never waits
 * for a stripe without a bound ({@code RootGate.PATIENCE_MS}); a path whose stripe it cannot have
 * is kept, which is always safe. Hence no cycle.
 */
package loomd.daemon.store.gc;
