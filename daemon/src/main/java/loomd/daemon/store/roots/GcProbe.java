package loomd.daemon.store.roots;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;

import loomd.daemon.store.StoreException;
import loomd.posix.Fds;
import loomd.posix.LockKind;
import loomd.posix.OfdLocks;
import loomd.posix.PosixException;

/**
 * Asks whether a collector holds {@code gc.lock} (exclusively) without taking any lock: an
 * {@code F_OFD_GETLK} read-lock probe through a descriptor of {@code gc.lock} kept open for probing
 * only (nothing is ever locked through it, so closing it drops nothing). The probe reports only a
 * write lock held by someone else: a collector's, whether an OFD lock (the locker's) or a classic
 * fcntl lock (upstream's GC); sessions' shared holds do not count. One non-blocking system call:
 * fine on a virtual thread. Thread-safe.
 */
public final class GcProbe implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GcProbe.class.getName());

    private final Path gcLock;
    private final int fd;
    private volatile boolean closed;

    public GcProbe(Path stateDir) {
        this.gcLock = GcLock.path(stateDir);
        try {
            GcLock.ensureExists(gcLock);
            this.fd = Fds.open(gcLock.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
        } catch (IOException e) {
            throw new StoreException("opening global GC lock `" + gcLock + "': " + e.getMessage(), e);
        }
    }

    /**
     * True if a collector may be between reading the temp-roots files and the end of its deletions.
     * A failed probe answers true: the caller then takes the slow, always-correct path.
     */
    public boolean collectorActive() {
        if (closed) return true;
        try {
            return OfdLocks.query(fd, LockKind.READ).isPresent();
        } catch (PosixException e) {
            LOG.log(Level.WARNING, "probing `" + gcLock + "': " + e.getMessage());
            return true;
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fds.closeQuietly(fd);
    }
}
