package loomd.daemon.store.roots;

import java.nio.file.Path;

/**
 * Whole-file locks as the store needs them, held on behalf of an owner (a session, or one
 * operation) until released. Implemented over the locker process, so a lock survives any
 * descriptor the JVM closes and conflicts with other processes' fcntl locks. Waiting calls
 * never block a carrier thread.
 */
public interface FileLocker {
    /** A set of locks released together. Locking a file the owner already holds converts it. */
    interface Owner extends AutoCloseable {
        void lock(Path file, boolean exclusive);

        boolean tryLock(Path file, boolean exclusive);

        /** Releases every lock of this owner. */
        @Override
        void close();
    }

    Owner newOwner(String label);

    /**
     * The exclusive lock of a store item being created (upstream's {@code PathLocks}: lock file
     * {@code <path>.lock}, stale-file check, deletion after the item became valid).
     */
    interface PathLock extends AutoCloseable {
        /** Delete the lock file on release: set once the item is valid. */
        void setDeletion(boolean delete);

        @Override
        void close();
    }

    /** Waits (without blocking a carrier) for the lock of the store item at {@code physicalPath}. */
    PathLock lockPath(Path physicalPath);
}
