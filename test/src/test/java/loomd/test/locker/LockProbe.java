package loomd.test.locker;

import java.nio.file.Path;

import loomd.posix.Fds;
import loomd.posix.LockKind;
import loomd.posix.OfdLocks;
import loomd.posix.PosixException;

/** How the tests look at locks from outside the locker: as another process (a collector) would. */
public final class LockProbe {
    private LockProbe() {}

    /** Whether nobody holds any lock on the file: upstream's collector test for a dead temp-roots owner. */
    public static boolean writeLockable(Path file) {
        try {
            int fd = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CLOEXEC, 0);
            try {
                return OfdLocks.tryLock(fd, LockKind.WRITE);
            } finally {
                Fds.closeQuietly(fd);
            }
        } catch (PosixException e) {
            throw new IllegalStateException(e);
        }
    }
}
