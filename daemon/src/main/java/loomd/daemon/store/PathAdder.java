package loomd.daemon.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

import loomd.daemon.store.db.Registration;
import loomd.daemon.store.fs.Canonicaliser;
import loomd.daemon.store.fs.FileTrees;
import loomd.daemon.store.fs.TempNames;
import loomd.daemon.store.roots.FileLocker;
import loomd.daemon.store.roots.StagingRoots;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.store.BadStorePathException;
import loomd.protocol.store.StorePathComputer;

/**
 * Adding content (daemon.md §8.3) so that a crash at any moment leaves either nothing or a
 * complete item: the tree is written under a temporary name in the store (temp-rooted by the
 * store's own roots file), canonicalised and fsynced, renamed to its final name while holding
 * the path lock, the store directory fsynced, and only then registered. Concurrent adds of one
 * path serialise on the path lock; the later ones find it valid and drop their copy.
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
    private final StorePathComputer computer;
    private final StoreObserver observer;

    PathAdder(StoreConfig config, StoreReader reader, Registrar registrar, FileLocker locker, NarCodec nar,
              TempNames tempNames, StagingRoots storeRoots, Canonicaliser canonicaliser, StoreObserver observer) {
        this.config = config;
        this.reader = reader;
        this.registrar = registrar;
        this.locker = locker;
        this.nar = nar;
        this.tempNames = tempNames;
        this.storeRoots = storeRoots;
        this.canonicaliser = canonicaliser;
        this.computer = new StorePathComputer(config.storeDir());
        this.observer = observer;
    }

    /** A fresh temporary name (not created), protected from a concurrent GC until closed. */
    record TempEntry(String name, StagingRoots.Lease lease) implements AutoCloseable {
        @Override
        public void close() {
            lease.close();
        }
    }

    TempEntry newTempName() {
        String name = tempNames.next();
        return new TempEntry(name, storeRoots.protect(logical(name)));
    }

    String logical(String baseName) {
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
            restored = nar.restoreForAdd(raw, target, recursive, algo);
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
            install(staged.tempName(), dest, Registration.of(dest, narHash.toBase16(), narSize, new TreeSet<>(), ""));
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

    /** {@code wopAddTextToStore} (protocol.md §6.8). */
    String addText(String name, byte[] text, SortedSet<String> refs, SessionRoots roots) throws IOException {
        String dest;
        try {
            dest = computer.makeTextPath(name, text, refs).toString();
        } catch (BadStorePathException e) {
            throw new StoreException(e.getMessage());
        }
        roots.addTempRoot(dest);
        if (reader.isValid(dest)) return dest;
        try (TempEntry temp = newTempName()) {
            try {
                Files.write(physical(temp.name()), text);
                RegularFileNar.Result r = RegularFileNar.of(text);
                install(temp.name(), dest, Registration.of(dest, r.narHash().toBase16(), r.narSize(), refs, ""));
                return dest;
            } finally {
                FileTrees.deleteRecursively(physical(temp.name()));
            }
        }
    }

    /**
     * Moves the tree at temp name {@code temp} to {@code dest} and registers it, unless
     * {@code dest} is (or becomes, while we wait for its lock) valid. The caller removes
     * whatever is left at {@code temp}.
     */
    void install(String temp, String dest, Registration registration) throws IOException {
        if (reader.isValid(dest)) return;
        Path destPhysical = config.physical(dest);
        try (FileLocker.PathLock lock = locker.lockPath(destPhysical)) {
            if (!reader.isValid(dest)) {
                canonicaliser.canonicaliseAndSync(physical(temp), dest);
                observer.synced(temp, dest);
                FileTrees.deleteRecursively(destPhysical);
                Files.move(physical(temp), destPhysical, StandardCopyOption.ATOMIC_MOVE);
                if (config.fsyncMetadata()) Canonicaliser.fsync(config.physicalStore());
                observer.renamed(dest);
                // A lock lost with its locker may already be another adder's: leave the unregistered
                // tree (invalid, so garbage) to that adder or the collector rather than delete its work.
                lock.checkHeld();
                try {
                    registrar.register(java.util.List.of(registration));
                } catch (RuntimeException e) {
                    FileTrees.deleteRecursively(destPhysical);
                    throw e;
                }
                observer.registered(dest);
            }
            lock.setDeletion(true);
        }
    }
}
