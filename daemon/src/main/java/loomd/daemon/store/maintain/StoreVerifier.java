package loomd.daemon.store.maintain;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.function.Consumer;

import loomd.daemon.store.StoreConfig;
import loomd.daemon.store.StoreException;
import loomd.daemon.store.StoreMaintenance;
import loomd.daemon.store.db.PathRow;
import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;
import loomd.daemon.store.roots.FileLocker;
import loomd.daemon.store.roots.GcLock;
import loomd.daemon.store.roots.GcProbe;
import loomd.protocol.hash.Hash;
import loomd.protocol.hash.HashAlgorithm;
import loomd.protocol.nar.NarResult;
import loomd.protocol.nar.NarWriter;

/**
 * One {@code wopVerifyStore} (daemon.md §8.2, upstream's {@code verifyStore}): the existence phase
 * under {@code gc.lock} (so no collection runs meanwhile), then, without it, the contents phase.
 * Blocking throughout: run on a platform thread. Single use.
 */
public final class StoreVerifier {
    private static final String NULL_HASH = "0".repeat(64);

    private final StoreConfig config;
    private final StoreDatabase db;
    private final FileLocker locker;
    private final GcProbe probe;
    private final Consumer<String> forget;
    private final StoreMaintenance.Repairer repairer;
    private final Deduplicator.Messages out;
    private final Set<String> done = new HashSet<>();
    private final Set<String> valid = new LinkedHashSet<>();
    private boolean errors;

    public StoreVerifier(StoreConfig config, StoreDatabase db, FileLocker locker, GcProbe probe,
                         Consumer<String> forget, StoreMaintenance.Repairer repairer, Deduplicator.Messages out) {
        this.config = config;
        this.db = db;
        this.locker = locker;
        this.probe = probe;
        this.forget = forget;
        this.repairer = repairer;
        this.out = out;
    }

    /** Runs both phases; true if errors remain. */
    public boolean verify(boolean checkContents) {
        out.message(0, "reading the store...");
        try (FileLocker.Owner lock = lockGc()) {
            probe.ownCollectorHolds(true);
            try {
                // The rows first, then the directory: a path's contents are in place before its row is
                // committed, so every row read here has its entry in the listing unless it really is
                // gone. Listing first (as upstream does) takes a path added in between for a vanished one.
                var paths = db.read(StoreQueries::allValidPaths);
                Set<String> names = listStore();
                out.message(1, "checking path existence...");
                for (String path : paths) verifyPath(path, names);
            } finally {
                probe.ownCollectorHolds(false);
            }
        }
        if (checkContents) {
            out.message(1, "checking hashes...");
            for (String path : valid) checkContents(path);
        }
        return errors;
    }

    private FileLocker.Owner lockGc() {
        return GcLock.lockExclusive(config.stateDir(), locker, "verify", () -> out.message(0, GcLock.WAIT_MESSAGE));
    }

    private Set<String> listStore() {
        Set<String> names = new HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(config.physicalStore())) {
            for (Path p : ds) names.add(p.getFileName().toString());
        } catch (IOException e) {
            throw new StoreException("opening directory `" + config.storeDir().path() + "': " + e.getMessage());
        }
        return names;
    }

    /** Upstream's verifyPath: a missing path's referrers first, so that a chain can go at once. */
    private void verifyPath(String path, Set<String> names) {
        if (!done.add(path)) return;
        if (!config.storeDir().isStorePath(path)) {
            out.message(0, "path `" + path + "' is not in the store");
            invalidate(path);
            return;
        }
        // A referrer registered after the listing is not in it: the disk, not the listing, says it is gone.
        if (names.contains(path.substring(path.lastIndexOf('/') + 1))
                || Files.exists(config.physical(path), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            valid.add(path);
            return;
        }
        boolean canInvalidate = true;
        SortedSet<String> referrers = db.read(d -> StoreQueries.referrers(d, path));
        for (String r : referrers) {
            if (r.equals(path)) continue;
            verifyPath(r, names);
            if (valid.contains(r)) canInvalidate = false;
        }
        if (canInvalidate) {
            out.message(0, "path `" + path + "' disappeared, removing from database...");
            invalidate(path);
            return;
        }
        out.message(0, "path `" + path + "' disappeared, but it still has valid referrers!");
        if (repairer == null) {
            errors = true;
            return;
        }
        try {
            repairer.repair(path);
        } catch (StoreException e) {
            out.message(0, "warning: " + e.getMessage());
            errors = true;
        }
    }

    private void invalidate(String path) {
        try {
            db.write(d -> StoreQueries.invalidate(d, path));
        } finally {
            forget.accept(path);
        }
    }

    private void checkContents(String path) {
        try {
            Optional<PathRow> row = db.read(d -> StoreQueries.pathInfo(d, path));
            if (row.isEmpty()) throw new StoreException("path `" + path + "' is not valid");
            out.message(3, "checking contents of `" + path + "'");
            NarResult current = hash(path);
            String recorded = recordedHash(row.get());
            String got = current.narHash().toBase16();
            if (!recorded.equals(NULL_HASH) && !recorded.equals(got)) {
                out.message(0, "path `" + path + "' was modified! expected hash `" + recorded + "', got `" + got + "'");
                if (repairer != null) repairer.repair(path);
                else errors = true;
                return;
            }
            fillIn(row.get(), recorded, current);
        } catch (StoreException e) {
            // The path may have been collected meanwhile: then it is only a warning.
            boolean still = db.read(d -> StoreQueries.isValid(d, path));
            out.message(0, (still ? "error: " : "warning: ") + e.getMessage());
            errors = true;
        }
    }

    /** Old stores lack hashes or sizes: upstream fills them in. */
    private void fillIn(PathRow row, String recorded, NarResult current) {
        boolean update = false;
        String hash = recorded;
        long size = row.narSize();
        if (recorded.equals(NULL_HASH)) {
            out.message(0, "fixing missing hash on `" + row.path() + "'");
            hash = current.narHash().toBase16();
            update = true;
        }
        if (size == 0) {
            out.message(0, "updating size field on `" + row.path() + "' to " + current.narSize());
            size = current.narSize();
            update = true;
        }
        if (update) {
            String h = hash;
            long n = size;
            db.write(d -> StoreQueries.updateHashAndSize(d, row.path(), h, n));
            forget.accept(row.path());
        }
    }

    private NarResult hash(String path) {
        Path at = config.physical(path);
        try {
            return NarWriter.hash(at);
        } catch (NoSuchFileException e) {
            throw new StoreException("getting attributes of path `" + path + "': No such file or directory");
        } catch (IOException e) {
            throw new StoreException("hashing `" + path + "': " + e.getMessage());
        }
    }

    /** The recorded SHA-256 in base16 (upstream stores {@code sha256:<base16>}, old rows base32). */
    private static String recordedHash(PathRow row) {
        String h = row.hash();
        int colon = h.indexOf(':');
        String text = colon < 0 ? h : h.substring(colon + 1);
        try {
            return Hash.parse(HashAlgorithm.SHA256, text).toBase16();
        } catch (RuntimeException e) {
            throw new StoreException("invalid hash `" + h + "' for `" + row.path() + "'");
        }
    }
}
