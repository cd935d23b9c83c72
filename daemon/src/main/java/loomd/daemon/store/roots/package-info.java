/**
 * GC roots seen from the store: temp-roots files, {@code gc.lock}, indirect roots, root finding,
 * and the file locks behind them ({@link loomd.daemon.store.roots.FileLocker}, always held by the
 * locker process through {@link loomd.daemon.store.roots.LockerFileLocker}: the JVM keeps no
 * descriptor per lock and never waits for a lock in a native call).
 *
 * <p>Which lock files exist, who holds them, in what order and what each guards: the lock table
 * in the {@link loomd.daemon.store store package} documentation, the only copy. Specific to this
 * package: a {@code TempRoots} instance's mutex is taken before its file's lock and before
 * gc.lock, never after; the store's {@code StagingRoots} mutex before that. After a locker death a
 * temp-roots file is locked again under a shared gc.lock, only if it still exists
 * ({@link loomd.daemon.store.roots.TempRoots}). An append writes without the file's exclusive lock
 * and probes gc.lock ({@link loomd.daemon.store.roots.GcProbe}); why that keeps upstream's
 * contract is in the store package documentation ("Temp roots").
 */
package loomd.daemon.store.roots;
