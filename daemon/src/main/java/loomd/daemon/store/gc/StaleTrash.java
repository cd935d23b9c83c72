package loomd.daemon.store.gc;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import loomd.daemon.store.StoreConfig;
import loomd.daemon.store.roots.FileLocker;
import loomd.daemon.store.roots.GcLock;

/**
 * {@code S/trash} left by a collector that died (kill -9 mid-deletion): it holds only trees whose
 * rows were already invalidated, so the store's start removes it, before any client is served.
 * Only when {@code gc.lock} is free: a live collector (another process's) owns its trash.
 */
public final class StaleTrash {
    private static final System.Logger LOG = System.getLogger(StaleTrash.class.getName());

    private StaleTrash() {}

    public static void remove(StoreConfig config, FileLocker locker) {
        Path trash = config.physicalStore().resolve("trash");
        if (!Files.exists(trash, LinkOption.NOFOLLOW_LINKS)) return;
        Path gcLock = GcLock.path(config.stateDir());
        try (FileLocker.Owner owner = locker.newOwner("stale-trash")) {
            GcLock.ensureExists(gcLock);
            if (!owner.tryLock(gcLock, true)) return;
            long freed = FileRemoval.deleteInPlace(trash, 1);
            LOG.log(Level.INFO, "removed the trash of an interrupted collection (" + freed + " bytes)");
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "removing `" + trash + "': " + e.getMessage());
        }
    }
}
