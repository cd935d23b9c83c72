/**
 * Store maintenance (daemon.md §8.1, §8.2): deduplication into {@code S/.links}
 * ({@link loomd.daemon.store.maintain.Deduplicator}, at add and registration time unless
 * {@code --disable-deduplication}, and for {@code wopOptimiseStore}) and verification
 * ({@link loomd.daemon.store.maintain.StoreVerifier}, {@code wopVerifyStore}).
 *
 * <h2>Threads and locks</h2>
 * Everything here blocks (hashing files, the database): adds call the deduplicator on their own
 * thread while they hold the item's lock and before the item is renamed or registered (the tree is
 * private to the add); optimise and verify run on a platform thread of
 * {@link loomd.daemon.store.StoreMaintenance}. The deduplicator takes no lock: each step is one
 * atomic call ({@code link}, {@code rename}) whose failure it handles. Its race with the collector's
 * cleaning of {@code .links} (§9.10: an entry seen with one link is removed just before an add
 * links to it) ends in {@code ENOENT} on the temporary link, and the entry is then made again from
 * the file being added, so no add fails and no file loses its contents. The verifier holds
 * {@code V/gc.lock} exclusively (lock 2 of the store's table) for the existence phase only, as
 * upstream, under the same {@code GcProbe} cover as a collector, so this process's sessions never
 * wait for it to add a temp root; a repair started from there (a substitution or a repair build)
 * runs under that cover too.
 */
package loomd.daemon.store.maintain;
