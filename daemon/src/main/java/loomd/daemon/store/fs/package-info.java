/**
 * File-system side of adding store items: canonical metadata, fsync, temporary names, deletion.
 *
 * <p>Threads: {@link loomd.daemon.store.fs.Canonicaliser} walks a tree on the caller's thread and
 * runs the fsyncs on its shared pool of platform threads ({@code loomd-fsync-*}), waiting for all
 * of them; it holds no lock. That includes the fsync of the store directory after an add's rename
 * ({@code Canonicaliser.syncDirectory}): no fsync runs on a virtual thread. A platform-thread caller
 * with fewer than 8 entries to sync does them itself. The tree it works on is private to one add (a temporary name).
 */
package loomd.daemon.store.fs;
