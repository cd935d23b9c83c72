package loomd.locker;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The answer to a lock request: {@link Held} (the lock is ours) or {@link Busy} (TRY found it taken).
 * A request with {@link Wait#WAIT} only ever answers Held.
 */
public sealed interface PathLock permits PathLock.Held, PathLock.Busy {
    LockOwner owner();

    /** The locked file; empty for a lock taken on a passed fd. */
    Optional<Path> file();

    LockMode mode();

    boolean acquired();

    /** This lock as Held, or an IllegalStateException naming the busy file. */
    default Held held() {
        if (this instanceof Held h) {
            return h;
        }
        throw new IllegalStateException("lock on " + file().map(Path::toString).orElse("fd") + " is busy");
    }

    /**
     * A lock the owner holds. {@code id} is the locker's handle; {@code generation} names the locker process
     * that holds it (a lock of an earlier generation was lost when that process died).
     * {@code sizeAtLock} is the file's size right after locking (upstream's staleness test).
     */
    record Held(LockOwner owner, Optional<Path> file, LockMode mode, long id, int generation, long sizeAtLock)
            implements PathLock {
        @Override
        public boolean acquired() {
            return true;
        }

        Held withMode(LockMode newMode, long size) {
            return new Held(owner, file, newMode, id, generation, size);
        }
    }

    /** Taken by someone else. {@code holderPid}: a classic-lock holder's pid, -1 for an OFD holder, 0 if unknown. */
    record Busy(LockOwner owner, Optional<Path> file, LockMode mode, int holderPid) implements PathLock {
        @Override
        public boolean acquired() {
            return false;
        }
    }
}
