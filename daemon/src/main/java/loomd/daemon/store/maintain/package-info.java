/**
 * Store maintenance (daemon.md §8.1, §8.2): deduplication into {@code S/.links}
 * ({@link loomd.daemon.store.maintain.Deduplicator}, at add and registration time unless
 * {@code --disable-deduplication}, and for {@code wopOptimiseStore}) and verification
 * ({@link loomd.daemon.store.maintain.StoreVerifier}, {@code wopVerifyStore}).
 *
 * <p>A new item's {@code .links} keys (the NAR hash of each file of 8 KiB and more) are computed in
 * the pass that already reads its bytes (§9.6): the NAR restore of an add, a text add, an import or
 * a native substitution, and the reference scan of a build output
 * ({@link loomd.protocol.nar.FileHashes}). The deduplicator then only stats those files; it reads a
 * file only when it has no key for it, or the key was made for another size or executable bit
 * (optimise-store, paths registered without keys, e.g. those {@code guix substitute} wrote).
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
