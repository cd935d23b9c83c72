package loomd.daemon.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import loomd.daemon.store.db.Registration;
import loomd.daemon.store.durable.Flusher;
import loomd.daemon.store.fs.Canonicaliser;
import loomd.daemon.store.fs.FileTrees;
import loomd.daemon.store.fs.TempNames;
import loomd.daemon.store.maintain.Deduplicator;
import loomd.daemon.store.roots.FileLocker;
import loomd.daemon.store.roots.StagingRoots;
import loomd.posix.Errno;
import loomd.posix.Fds;
import loomd.posix.PosixException;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.nar.FileHashes;
import loomd.protocol.store.BadStorePathException;
import loomd.protocol.store.StorePathComputer;

/**
 * Adding content (daemon.md §8.3) so that a kill at any moment leaves either nothing or a
 * complete item: the tree is written under a temporary name in the store (temp-rooted by the
 * store's own roots file), canonicalised, renamed to its final name while holding the path lock,
 * and only then registered. Nothing is fsynced per item: the {@link Flusher} makes groups durable
 * and the start-up check repairs what a power cut took (the package documentation, "Durability");
 * in strict mode the reply waits for the group sync ({@link Flusher#settle}). Concurrent adds of
 * one path serialise on the path lock; the later ones find it valid (in the database, never the
 * cache) and drop their copy. {@link #install(List)} does the same for many items at once: their
 * locks together, one registration transaction.
 */
final class PathAdder {
    private final StoreConfig config;
    private final StoreReader reader;
    private final Registrar registrar;
    private final FileLocker locker;
    private final NarCodec nar;
    private final TempNames tempNames;
    private final StagingRoots storeRoots;
    private final Canonicaliser canonicaliser;
    private final Flusher flusher;
    private final StorePathComputer computer;
    private final StoreObserver observer;
    private final StoreMaintenance maintenance;

    PathAdder(StoreConfig config, StoreReader reader, Registrar registrar, FileLocker locker, NarCodec nar,
              TempNames tempNames, StagingRoots storeRoots, Canonicaliser canonicaliser, Flusher flusher,
              StoreObserver observer, StoreMaintenance maintenance) {
        this.maintenance = maintenance;
        this.config = config;
        this.reader = reader;
        this.registrar = registrar;
        this.locker = locker;
        this.nar = nar;
        this.tempNames = tempNames;
        this.storeRoots = storeRoots;
        this.canonicaliser = canonicaliser;
        this.flusher = flusher;
        this.computer = new StorePathComputer(config.storeDir());
        this.observer = observer;
    }

    /**
     * What {@link #install(List)} moves into place: the tree at temporary name {@code temp}
     * becomes {@code registration.path()}; {@code linkKeys} are its large files' {@code .links} keys
     * from the pass that wrote it (null: deduplication reads them).
     */
    record Install(String temp, Registration registration, FileHashes linkKeys) {
        Install(String temp, Registration registration) {
            this(temp, registration, null);
        }

        String dest() {
            return registration.path();
        }
    }

    /** A fresh temporary name (not created), protected from a concurrent GC until closed. */
    record TempEntry(String name, StagingRoots.Lease lease) implements AutoCloseable {
        @Override
        public void close() {
            lease.close();
        }
    }

    /** A collector of {@code .links} keys for a tree about to be written, or null when nothing will use it. */
    FileHashes newFileHashes() {
        return maintenance.newFileHashes();
    }

    TempEntry newTempName() {
        String name = tempNames.next();
        return new TempEntry(name, storeRoots.protect(logical(name)));
    }

    private String logical(String baseName) {
        return config.storeDir().path() + "/" + baseName;
    }

    Path physical(String baseName) {
        return config.physicalStore().resolve(baseName);
    }

    /** Restores and hashes the NAR on {@code raw} under a temp name; on any error nothing remains. */
    StagedNar stage(InputStream raw) throws IOException {
        return stage(raw, true, Optional.empty());
    }

    /** As {@link #stage(InputStream)}, also computing the digest the destination path needs. */
    StagedNar stage(InputStream raw, boolean recursive, Optional<HashAlgorithm> algo) throws IOException {
        TempEntry temp = newTempName();
        Path target = physical(temp.name());
        NarCodec.Restored restored;
        try {
            restored = nar.restoreForAdd(raw, target, recursive, algo, newFileHashes());
        } catch (IOException | RuntimeException e) {
            try {
                FileTrees.deleteRecursively(target);
            } finally {
                temp.close();
            }
            throw e;
        }
        return new StagedNar(temp, target, restored);
    }

    /** The work phase of {@code wopAddToStore} (protocol.md §6.7). */
    String addStaged(String name, boolean recursive, HashAlgorithm algo, StagedNar staged, SessionRoots roots)
            throws IOException {
        try (staged) {
            NarCodec.Restored restored = staged.restored();
            if (!recursive && !restored.rootRegular()) throw new StoreException("regular file expected");
            Hash contentHash = restored.extra().filter(h -> h.algorithm() == algo)
                    .orElseGet(() -> contentHash(recursive, algo, staged));
            String dest = fixedOutputPath(recursive, contentHash, name);
            Hash narHash = staged.narHash();
            long narSize = staged.narSize();
            if (!recursive && restored.rootExecutable()) {
                // A flat item is always a non-executable file: its NAR differs from the one received.
                Files.setAttribute(staged.physical(), "unix:mode", 0444);
                var r = nar.hash(staged.physical());
                narHash = r.narHash();
                narSize = r.narSize();
            }
            roots.addTempRoot(dest);
            install(List.of(new Install(staged.tempName(),
                    Registration.of(dest, narHash.toBase16(), narSize, new TreeSet<>(), ""), restored.linkKeys())));
            return dest;
        }
    }

    private Hash contentHash(boolean recursive, HashAlgorithm algo, StagedNar staged) {
        try {
            return computeContentHash(recursive, algo, staged);
        } catch (IOException e) {
            throw new StoreException("hashing `" + staged.tempName() + "': " + e.getMessage());
        }
    }

    private Hash computeContentHash(boolean recursive, HashAlgorithm algo, StagedNar staged) throws IOException {
        if (recursive && algo == HashAlgorithm.SHA256) return staged.narHash();
        MessageDigest digest = newDigest(algo);
        if (recursive) {
            try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
                nar.dump(staged.physical(), out);
            }
        } else {
            try (InputStream in = Files.newInputStream(staged.physical())) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) digest.update(buf, 0, n);
            }
        }
        return Hash.finish(algo, digest);
    }

    private static MessageDigest newDigest(HashAlgorithm algo) {
        try {
            return algo.newDigest();
        } catch (UnsupportedOperationException e) {
            throw new StoreException(e.getMessage());
        }
    }

    private String fixedOutputPath(boolean recursive, Hash h, String name) {
        try {
            return computer.makeFixedOutputPath(recursive, h, name).toString();
        } catch (BadStorePathException e) {
            throw new StoreException(e.getMessage());
        }
    }

    /**
     * {@code wopAddTextToStore} (protocol.md §6.8), as upstream: the file is written straight to its
     * final name under the item lock (no temporary name, no rename). Until it is registered nothing
     * refers to that name, so a kill mid-write leaves an unregistered file, replaced by the next add
     * or removed by the collector; the session's temp root on the destination keeps a collector off it
     * meanwhile.
     */
    String addText(String name, byte[] text, SortedSet<String> refs, SessionRoots roots) throws IOException {
        String dest;
        try {
            dest = computer.makeTextPath(name, text, refs).toString();
        } catch (BadStorePathException e) {
            throw new StoreException(e.getMessage());
        }
        roots.addTempRoot(dest);
        // The database, not the cache, decides: a path another process deleted must be made again.
        // A path the cache has never seen valid (the usual new text) skips the read before the lock:
        // the read under the lock is the one that decides, so one read instead of two.
        long valid = reader.mayBeValid(dest) ? reader.validIdInDb(dest) : 0;
        if (valid == 0) {
            RegularFileNar.Result r = RegularFileNar.of(text);
            valid = lockAndWrite(Registration.of(dest, r.narHash().toBase16(), r.narSize(), refs, ""), text,
                    // the file is the whole item: its NAR hash is its key
                    FileHashes.ofRootFile(Deduplicator.MIN_SIZE, text.length, false, r.narHash()));
        }
        flusher.settle(valid);
        return dest;
    }

    /** The locked part of {@link #addText}; returns the row id of the destination. */
    private long lockAndWrite(Registration registration, byte[] text, FileHashes linkKeys) throws IOException {
        String dest = registration.path();
        Path target = config.physical(dest);
        try (FileLocker.PathLock lock = locker.lockPaths(List.of(target))) {
            long valid = reader.validIdInDb(dest);
            if (valid > 0) {
                // Valid already (made meanwhile, or before this daemon's cache knew it): its lock
                // file goes, as after a registration, instead of staying beside the item.
                lock.setDeletion(true);
                return valid;
            }
            try {
                canonicaliser.writeNewFile(target, text);
                maintenance.deduplicateNew(target, linkKeys);
            } catch (IOException | RuntimeException e) {
                FileTrees.deleteRecursively(target);
                throw e;
            }
            observer.renamed(dest);
            lock.checkHeld();
            long id = register(List.of(new Install(dest, registration)));
            lock.setDeletion(true);
            return id;
        }
    }

    /**
     * Moves each tree to its destination and registers them all in one transaction, skipping the
     * destinations that are (or become, while their locks are awaited) valid. The locks of all
     * destinations are held together, taken in byte order; every tree is canonical before the
     * first rename. Returns once the items are as durable as the mode asks ({@link Flusher#settle},
     * after the locks are released). The caller removes whatever is left at the temporary names.
     */
    void install(List<Install> items) throws IOException {
        Map<String, Long> valid = reader.validIdsInDb(items.stream().map(Install::dest).toList());
        List<Install> todo = missing(items, valid);
        long newest = valid.values().stream().mapToLong(Long::longValue).max().orElse(0);
        if (!todo.isEmpty()) newest = Math.max(newest, lockAndInstall(todo));
        flusher.settle(newest);
    }

    /** In strict mode, waits until row {@code id} (a path the request found valid) is durable. */
    void settle(long id) {
        flusher.settle(id);
    }

    /**
     * The locked part of {@link #install}, for items the caller found missing; returns the newest
     * row id among them. The unlock is not awaited: the locker handles it before any later request.
     */
    private long lockAndInstall(List<Install> todo) throws IOException {
        try (FileLocker.PathLock lock = locker.lockPaths(todo.stream().map(i -> config.physical(i.dest())).toList())) {
            Map<String, Long> valid = reader.validIdsInDb(todo.stream().map(Install::dest).toList());
            List<Install> fresh = missing(todo, valid);
            long newest = valid.values().stream().mapToLong(Long::longValue).max().orElse(0);
            for (Install i : fresh) {
                canonicaliser.canonicalise(physical(i.temp()), i.dest());
                maintenance.deduplicateNew(physical(i.temp()), i.linkKeys());
                observer.canonicalised(i.temp(), i.dest());
            }
            for (Install i : fresh) {
                Path destPhysical = config.physical(i.dest());
                // Whatever is there is not valid: a crashed add's leftover, or garbage.
                FileTrees.deleteRecursively(destPhysical);
                Files.move(physical(i.temp()), destPhysical, StandardCopyOption.ATOMIC_MOVE);
                observer.renamed(i.dest());
            }
            // A lock lost with its locker may already be another adder's: leave the unregistered
            // trees (invalid, so garbage) to that adder or the collector rather than delete its work.
            lock.checkHeld();
            newest = Math.max(newest, register(fresh));
            lock.setDeletion(true);
            return newest;
        }
    }

    /**
     * A repair ({@code replaceValidPath}): the tree at {@code item.temp()} takes the place of the valid
     * (damaged) {@code item.dest()} under its lock, and the row gets the new hash and size. The two
     * names are swapped in one rename ({@link Fds#exchange}), so the path always has a whole tree, the
     * old or the new; the old one is left at the temporary name for the caller to remove. Where the
     * file system cannot swap, the old tree is renamed aside first, as upstream does.
     */
    void replace(Install item) throws IOException {
        Path dest = config.physical(item.dest());
        Path temp = physical(item.temp());
        try (FileLocker.PathLock lock = locker.lockPaths(List.of(dest))) {
            canonicaliser.canonicalise(temp, item.dest());
            maintenance.deduplicateNew(temp, item.linkKeys());
            observer.canonicalised(item.temp(), item.dest());
            boolean dir = Files.isDirectory(temp, LinkOption.NOFOLLOW_LINKS);
            if (dir) Files.setAttribute(temp, "unix:mode", 0755);
            // The row is durable already and no start re-verifies it: the new tree must be on disk
            // before it takes the path's place, and the swap and the row before the reply.
            flusher.syncNow();
            swap(temp, dest);
            if (dir) Files.setAttribute(dest, "unix:mode", 0555);
            observer.renamed(item.dest());
            lock.checkHeld();
            registrar.register(List.of(item.registration()));
            observer.registered(item.dest());
            lock.setDeletion(true);
        }
        flusher.syncNow();
    }

    /** Puts {@code fresh} at {@code dest}; whatever was at {@code dest} ends up at {@code fresh}. */
    private static void swap(Path fresh, Path dest) throws IOException {
        if (!Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
            Files.move(fresh, dest, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        // An unprivileged daemon renames a directory only if it may write it (its ".." entry).
        if (Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) Files.setAttribute(dest, "unix:mode", 0755);
        try {
            Fds.exchange(fresh.toString(), dest.toString());
        } catch (PosixException e) {
            if (e.errno() != Errno.EINVAL) throw e;
            Path aside = fresh.resolveSibling(fresh.getFileName() + ".old");
            Files.move(dest, aside, StandardCopyOption.ATOMIC_MOVE);
            Files.move(fresh, dest, StandardCopyOption.ATOMIC_MOVE);
            Files.move(aside, fresh, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Those of {@code items} whose destination is not in {@code valid} (first occurrence each). */
    private static List<Install> missing(List<Install> items, Map<String, Long> valid) {
        Set<String> seen = new HashSet<>();
        return items.stream().filter(i -> !valid.containsKey(i.dest()) && seen.add(i.dest())).toList();
    }

    /** Registers {@code fresh} in one transaction; returns the newest row id (0 for none). */
    private long register(List<Install> fresh) throws IOException {
        if (fresh.isEmpty()) return 0;
        long newest;
        try {
            newest = registrar.register(fresh.stream().map(Install::registration).toList());
        } catch (RuntimeException e) {
            for (Install i : fresh) FileTrees.deleteRecursively(config.physical(i.dest()));
            throw e;
        }
        for (Install i : fresh) observer.registered(i.dest());
        return newest;
    }
}
