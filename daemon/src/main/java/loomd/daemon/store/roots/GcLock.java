package loomd.daemon.store.roots;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** {@code V/gc.lock}: exclusive for a GC, shared and released at once by {@code syncWithGC}. */
public final class GcLock {
    private GcLock() {}

    public static Path path(Path stateDir) {
        return stateDir.resolve("gc.lock");
    }

    /** Creates a lock file (mode 0600, as upstream) unless it exists. */
    public static void ensureExists(Path gcLock) throws IOException {
        try {
            Files.createFile(gcLock, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            // the usual case
        }
    }

    /** Upstream's message (to the client's stderr) when a collector holds the lock. */
    public static final String WAIT_MESSAGE = "waiting for the big garbage collector lock...";

    /**
     * Waits until no garbage collection holds the lock ({@code wopSyncWithGC}); {@code onWait} runs
     * first if a collector holds it (upstream prints {@link #WAIT_MESSAGE}).
     */
    public static void syncWithGC(Path stateDir, FileLocker locker, Runnable onWait) {
        Path gcLock = path(stateDir);
        try {
            ensureExists(gcLock);
        } catch (IOException e) {
            throw new loomd.daemon.store.StoreException("opening global GC lock `" + gcLock + "': " + e.getMessage());
        }
        try (FileLocker.Owner owner = locker.newOwner("sync-with-gc")) {
            if (!owner.tryLock(gcLock, false)) {
                onWait.run();
                owner.lock(gcLock, false);
            }
        }
    }

    /**
     * Takes the lock exclusively for a collection or a verification, as {@code owner}; {@code onWait}
     * runs first if another collector holds it (upstream prints {@link #WAIT_MESSAGE}). The caller
     * closes the result to release it.
     */
    public static FileLocker.Owner lockExclusive(Path stateDir, FileLocker locker, String owner, Runnable onWait) {
        Path gcLock = path(stateDir);
        try {
            ensureExists(gcLock);
        } catch (IOException e) {
            throw new loomd.daemon.store.StoreException("opening global GC lock `" + gcLock + "': " + e.getMessage());
        }
        FileLocker.Owner o = locker.newOwner(owner);
        try {
            if (!o.tryLock(gcLock, true)) {
                onWait.run();
                o.lock(gcLock, true);
            }
            return o;
        } catch (RuntimeException e) {
            o.close();
            throw e;
        }
    }
}
