/**
 * The local store: SQLite database, adding and registering paths, import/export, temp roots and
 * GC roots, caches. {@link loomd.daemon.store.LocalStore} is the facade the sessions call.
 *
 * <h2>Threads</h2>
 * <ul>
 *   <li>Sessions call the facade from their virtual threads, many at once.</li>
 *   <li>All database writes run on one platform thread ({@code loomd-db-writer}) owning the only
 *       writer connection, each as one {@code BEGIN IMMEDIATE … COMMIT}; callers wait on a future.
 *       Only that connection has a busy timeout (1 h, as upstream).</li>
 *   <li>Point reads run on the caller's virtual thread with a pooled read-only connection (no busy
 *       timeout; SQLITE_BUSY is retried after a short sleep, which parks instead of pinning).</li>
 *   <li>Full scans ({@code queryAllValidPaths}) and validity checks of more than
 *       {@code StoreReader.POINT_READ_LIMIT} paths at once run on the {@code loomd-db-scan-*}
 *       platform threads.</li>
 *   <li>Exchanges with {@code guix authenticate} (fork, request, blocking pipe read) run on one
 *       platform thread, {@code loomd-authenticate}, which also serialises them.</li>
 *   <li>Waiting for a lock never happens on a virtual thread's carrier: it goes through the
 *       locker ({@link loomd.daemon.store.roots.FileLocker}).</li>
 * </ul>
 *
 * <h2>Locks and what they guard</h2>
 * <ul>
 *   <li>{@code <item>.lock} (exclusive, via the locker): creating store item {@code <item>};
 *       held from before the validity re-check until after registration; the file is deleted on
 *       release once the item is valid. Lock order: at most one item lock per add/import.</li>
 *   <li>{@code V/temproots/<file>}: shared for the owner's lifetime, exclusive while appending.</li>
 *   <li>{@code V/gc.lock}: shared, briefly, while a temp-roots file is created and by syncWithGC.</li>
 *   <li>{@code <db>/big-lock}: shared for the store's lifetime.</li>
 *   <li>In-process: {@code TempRoots.lock} serialises appends to one temp-roots file; it is not
 *       held while taking another lock except the locker's file locks (leaf locks).</li>
 * </ul>
 *
 * <h2>Durability order of an add</h2>
 * Temporary name in the store (temp-rooted through the store's own, rotating temp-roots files,
 * {@link loomd.daemon.store.roots.StagingRoots}) → canonicalise + fsync every file and directory →
 * rename to the final name under its path lock → fsync the store directory → register. A crash
 * leaves a complete unregistered item (garbage) or a temporary name, which {@code TempNames}
 * removes at the next start; an item is never registered before its contents are durable.
 */
package loomd.daemon.store;
