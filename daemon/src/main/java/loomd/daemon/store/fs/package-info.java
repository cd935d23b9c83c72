/**
 * File-system side of adding store items: canonical metadata, temporary names, deletion.
 *
 * <p>Threads: {@link loomd.daemon.store.fs.Canonicaliser} walks a tree on the caller's thread and
 * holds no lock; it fsyncs nothing (the store's flusher syncs whole groups of adds, see the store
 * package's "Durability"). The tree it works on is private to one add (a temporary name).
 */
package loomd.daemon.store.fs;
