/**
 * GC roots seen from the store: temp-roots files, {@code gc.lock}, indirect roots, root finding,
 * and the file locks behind them ({@link loomd.daemon.store.roots.FileLocker}: over the locker
 * process in the daemon, or in-process OFD locks with waits on platform threads).
 *
 * <p>Locks: a {@link loomd.daemon.store.roots.TempRoots} file is held shared for its owner's
 * lifetime and exclusive while a root is appended; its in-process mutex guards the append and is
 * taken before (never after) the file lock. {@code gc.lock} is taken shared only while a
 * temp-roots file is created and by {@code syncWithGC}, and released at once.
 */
package loomd.daemon.store.roots;
