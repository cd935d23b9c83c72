package loomd.daemon.store.durable;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import loomd.daemon.store.db.StoreDatabase;
import loomd.daemon.store.db.StoreQueries;
import loomd.daemon.store.fs.FileTrees;
import loomd.daemon.store.fs.TempNames;
import loomd.daemon.store.roots.FileLocker;

/**
 * After an unclean stop, the store entries a killed writer left without registration: an add moves
 * its item into place and then registers it, so a kill -9 between the two leaves contents that no
 * row describes (as upstream's daemon does; its collector removes them later). loomd removes them
 * at the next start, before it serves anyone, so "no contents without registration" holds from the
 * first request on.
 *
 * <p>Other processes may be writing the same store right now (an upstream daemon, a build hook):
 * a writer holds the item's lock ({@code PATH.lock}) while the item is unregistered, so an entry is
 * removed only under that lock, taken without waiting, and only if it is still unregistered then.
 */
public final class UnregisteredEntries {
    private static final System.Logger LOG = System.getLogger(UnregisteredEntries.class.getName());
    private static final Set<String> OWN = Set.of(".links", "trash");

    private UnregisteredEntries() {}

    /** Removes what it can; returns how many entries went. Never fails the start: it logs instead. */
    public static int remove(Path physicalStore, String storeDir, StoreDatabase db, FileLocker locker) {
        Set<String> valid = db.read(StoreQueries::allValidPaths);
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(physicalStore)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                String path = storeDir + "/" + name;
                if (isNeverRegistered(name) || valid.contains(path)) continue;
                if (removeUnderLock(entry, path, db, locker)) removed++;
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "looking for unregistered store entries: " + e.getMessage());
        }
        if (removed > 0) {
            LOG.log(Level.INFO, "start-up: removed " + removed + " store entries an unclean stop left unregistered");
        }
        return removed;
    }

    private static boolean isNeverRegistered(String name) {
        return OWN.contains(name) || name.endsWith(".lock") || name.endsWith(".chroot") || name.endsWith(".check")
                || TempNames.isTempName(name);
    }

    private static boolean removeUnderLock(Path entry, String path, StoreDatabase db, FileLocker locker)
            throws IOException {
        Path lock = entry.resolveSibling(entry.getFileName() + ".lock");
        boolean made = !Files.exists(lock);
        if (made) Files.createFile(lock);
        try (FileLocker.Owner owner = locker.newOwner("startup-unregistered")) {
            if (!owner.tryLock(lock, true)) return false; // being written right now: its writer's business
            if (db.read(d -> StoreQueries.isValid(d, path))) return false;
            LOG.log(Level.INFO, "removing unregistered store entry `" + path + "' left by an unclean stop");
            FileTrees.deleteRecursively(entry);
            // Deleted while held, as upstream's stale-lock rule expects of a lock file's last user.
            if (made) Files.deleteIfExists(lock);
            return true;
        }
    }
}
