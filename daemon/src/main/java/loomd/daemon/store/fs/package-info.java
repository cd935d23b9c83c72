/**
 * File-system side of adding store items: canonical metadata, fsync, temporary names, deletion.
 *
 * <p>Threads: {@link loomd.daemon.store.fs.Canonicaliser} walks a tree on the caller's thread and
 * runs the fsyncs on its shared pool of platform threads ({@code loomd-fsync-*}), waiting for all
 * of them; it holds no lock. The tree it works on is private to one add (a temporary name).
 */
package loomd.daemon.store.fs;
