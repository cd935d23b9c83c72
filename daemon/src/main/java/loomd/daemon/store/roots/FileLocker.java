package loomd.daemon.store.roots;

import java.nio.file.Path;
import java.util.Collection;

/**
 * Whole-file locks as the store needs them, held on behalf of an owner (a session, or one
 * operation) until released. The only implementation, {@link LockerFileLocker}, holds them in the
 * locker process, so a lock survives any descriptor the JVM closes, the JVM keeps no descriptor
 * per lock (uncontended item locks excepted: {@link OfdItemLocks}), and the locks conflict with other processes' fcntl locks. Waiting calls never block a
 * carrier thread.
 */
public interface FileLocker {
    /**
     * A set of locks released together. Locking a file the owner already holds converts it. An
     * owner is used by one thread at a time: its users serialise their calls.
     */
    interface Owner extends AutoCloseable {
        void lock(Path file, boolean exclusive);

        boolean tryLock(Path file, boolean exclusive);

        /**
         * True once the locker process that held this owner's locks died: they are gone (another
         * process may have taken them since), and every further request of this owner fails. Its
         * user must start over with a new owner.
         */
        boolean isLost();

        /** Runs {@code action} (on a virtual thread) when the owner's locks are lost; see {@link #isLost}. */
        void onLost(Runnable action);

        /** Releases every lock of this owner. */
        @Override
        void close();
    }

    Owner newOwner(String label);

    /**
     * The exclusive locks of store items being created (upstream's {@code PathLocks}: lock file
     * {@code <path>.lock}, stale-file check, deletion after the items became valid), held together.
     */
    interface PathLock extends AutoCloseable {
        /**
         * Fails (a {@code StoreException} naming the locker) if the lock was lost because the
         * locker died since it was taken: call it right before making the item valid.
         */
        void checkHeld();

        /** Delete the lock files on release: set once the items are valid. */
        void setDeletion(boolean delete);

        @Override
        void close();
    }

    /**
     * Waits (without blocking a carrier) for the locks of the store items at {@code physicalPaths},
     * taken in byte order so that two sets never deadlock (the store package's lock table).
     */
    PathLock lockPaths(Collection<Path> physicalPaths);
}
