/**
 * GC roots seen from the store: temp-roots files, {@code gc.lock}, indirect roots, root finding,
 * and the file locks behind them ({@link loomd.daemon.store.roots.FileLocker}, always held by the
 * locker process through {@link loomd.daemon.store.roots.LockerFileLocker}: the JVM keeps no
 * descriptor per lock and never waits for a lock in a native call).
 *
 * <p>Locks, what they guard, who owns them:
 * <ul>
 *   <li>{@code <item>.lock} (exclusive, one owner per add): creating that store item; deleted
 *       (unlink, then "d") only after the item is registered and the transaction committed.</li>
 *   <li>{@code V/gc.lock} (shared, momentarily): held by a session while it creates or re-locks
 *       its temp-roots file, and by {@code syncWithGC}; a collector takes it exclusive.</li>
 *   <li>{@code V/temproots/<name>}: shared by its live session (or the store's own
 *       {@link loomd.daemon.store.roots.StagingRoots}) for its life, exclusive while a root is
 *       appended; re-locked after a locker death (see {@link loomd.daemon.store.roots.TempRoots}).</li>
 *   <li>{@code db/big-lock} (shared, for the store's life): owned by the store.</li>
 * </ul>
 * Order: gc.lock before a temp-roots file; a {@code TempRoots} instance's mutex before its file
 * lock (never after); an item lock is taken with no gc.lock held.
 */
package loomd.daemon.store.roots;
