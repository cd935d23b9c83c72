package loomd.locker;

import loomd.posix.Errno;

/** The locker answered with an error: a failed system call (errno set) or a refused request. */
public final class LockFailedException extends LockerException {
    private final int errno;

    public LockFailedException(int errno, String message) {
        super(message, null);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    /** The file to lock does not exist (only with {@link LockFileOption#NO_CREATE}). */
    public boolean isNoSuchFile() {
        return errno == Errno.ENOENT;
    }

    /** The owner already holds or waits for a lock on this file. */
    public boolean isSelfDeadlock() {
        return errno == Errno.EDEADLK;
    }
}
