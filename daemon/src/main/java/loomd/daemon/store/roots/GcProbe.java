package loomd.daemon.store.roots;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import loomd.daemon.store.StoreException;
import loomd.posix.Fds;
import loomd.posix.LockKind;
import loomd.posix.OfdLocks;

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
    /** Opened at the first probe, off the start's path (a first FFM call costs the start ~100 ms); -1 until then. */
    private int fd = -1;
    /** Read side: a session creating its file under this process's collector's gc.lock; write side: that collector. */
    private final ReentrantReadWriteLock cover = new ReentrantReadWriteLock();
    /** Guarded by {@link #cover}: this process's collector holds gc.lock exclusively. */
    private boolean ownCollector;
    private volatile boolean closed;

    public GcProbe(Path stateDir) {
        this.gcLock = GcLock.path(stateDir);
        try {
            GcLock.ensureExists(gcLock);
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
            return OfdLocks.query(fd(), LockKind.READ).isPresent();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "probing `" + gcLock + "': " + e.getMessage());
            return true;
        }
    }

    private synchronized int fd() throws IOException {
        if (fd < 0) fd = Fds.open(gcLock.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
        return fd;
    }

    /** Something done with a file, under this process's collector's gc.lock. */
    @FunctionalInterface
    public interface Covered {
        void run() throws IOException;
    }

    /**
     * This process's collector: it holds gc.lock exclusively ({@code true}, right after taking it)
     * or is about to release it ({@code false}: waits for the sessions creating files under it).
     */
    public void ownCollectorHolds(boolean holds) {
        cover.writeLock().lock();
        try {
            ownCollector = holds;
        } finally {
            cover.writeLock().unlock();
        }
    }

    /**
     * Runs {@code action} (creating and locking a temp-roots file) if this process's collector
     * holds gc.lock, and then before that collector can release it; false, without running it,
     * otherwise. No other collector can run meanwhile, and this process's collector reads the
     * file without a lock (gc package), so the file needs no shared gc.lock: a session's first
     * root does not wait for the collection.
     */
    public boolean underOwnCollector(Covered action) throws IOException {
        cover.readLock().lock();
        try {
            if (!ownCollector) return false;
            action.run();
            return true;
        } finally {
            cover.readLock().unlock();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        synchronized (this) {
            if (fd >= 0) Fds.closeQuietly(fd);
        }
    }
}
