package loomd.daemon.store.roots;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import loomd.daemon.store.SessionRoots;
import loomd.daemon.store.StoreException;

/**
 * One temp-roots file {@code V/temproots/<name>} (daemon.md §3.6, §7.3), created on the first
 * root: under a shared {@code gc.lock} the file is (re)created and shared-locked, so no collector
 * ever finds it unlocked (upstream locks it just after dropping gc.lock, then checks for a
 * collector's "d" mark; holding gc.lock makes that race impossible). Each root is appended as the
 * path and a NUL under an exclusive lock (waiting while a GC holds its shared lock), then the lock
 * goes back to shared. {@link #close} unlinks the file, then drops the locks.
 *
 * <p>Locker death: the file's lock is gone with the locker. As soon as the loss is reported, and
 * again before the next root if that failed, the file is locked anew through the restarted
 * locker, under a shared {@code gc.lock} so no collection runs meanwhile. If a collector removed
 * the file while it was unlocked, the session's earlier roots are gone: that root fails with an
 * error saying so, and the next one starts a new file.
 *
 * <p>Threads: a session uses its own instance from its virtual thread; the store's internal
 * instance is shared, so {@link #lock} serialises appends and re-establishment.
 */
public final class TempRoots implements SessionRoots {
    private static final System.Logger LOG = System.getLogger(TempRoots.class.getName());
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final Path stateDir;
    private final FileLocker locker;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private FileLocker.Owner owner;
    private FileChannel channel;
    private Path file;
    private boolean closed;
    /** Why a re-lock in the background failed; the next root reports it once. */
    private StoreException lostRoots;

    public TempRoots(Path stateDir, FileLocker locker, String label) {
        this.stateDir = stateDir;
        this.locker = locker;
        this.name = "loomd-" + ProcessHandle.current().pid() + "-" + label + "-" + SEQUENCE.incrementAndGet();
    }

    @Override
    public void addTempRoot(String path) {
        lock.lock();
        try {
            if (closed) throw new StoreException("the session's temporary roots are closed");
            try {
                append(path);
            } catch (StoreException e) {
                // The locker died under this append: once, with the file locked anew (or a new one).
                if (channel == null || !owner.isLost()) throw e;
                append(path);
            }
        } catch (IOException e) {
            throw new StoreException("writing temporary roots file `" + file + "': " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    private void append(String path) throws IOException {
        if (channel != null && owner.isLost()) relock();
        reportLostRoots();
        if (channel == null) create();
        owner.lock(file, true);
        try {
            ByteBuffer buf = ByteBuffer.wrap((path + '\0').getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) channel.write(buf);
        } finally {
            owner.lock(file, false);
        }
    }

    private void create() throws IOException {
        Path dir = stateDir.resolve("temproots");
        Files.createDirectories(dir);
        file = dir.resolve(name);
        try (FileLocker.Owner gc = lockGcShared()) {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            lockFileShared();
        }
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    private FileLocker.Owner lockGcShared() throws IOException {
        Path gcLock = GcLock.path(stateDir);
        GcLock.ensureExists(gcLock);
        FileLocker.Owner gc = locker.newOwner("gc-lock-for-" + name);
        try {
            gc.lock(gcLock, false);
            return gc;
        } catch (RuntimeException e) {
            gc.close();
            throw e;
        }
    }

    /** Takes the file's shared lock with a new owner, which re-establishes itself if its locker dies. */
    private void lockFileShared() {
        FileLocker.Owner fresh = locker.newOwner("temproots-" + name);
        try {
            fresh.lock(file, false);
        } catch (RuntimeException e) {
            fresh.close();
            throw e;
        }
        if (owner != null) owner.close();
        owner = fresh;
        fresh.onLost(this::relockQuietly);
    }

    /**
     * After a locker death: locks the file again, or, if a collector removed it meanwhile, gives it up
     * and records the loss for the next root to report.
     */
    private void relock() throws IOException {
        try (FileLocker.Owner gc = lockGcShared()) {
            if (!Files.exists(file)) {
                channel.close();
                channel = null;
                owner.close();
                owner = null;
                lostRoots = new StoreException("temporary roots file `" + file + "' was removed while the locker"
                        + " process was down: the temporary roots it held are no longer protected");
                return;
            }
            lockFileShared();
        }
    }

    private void reportLostRoots() {
        StoreException lost = lostRoots;
        lostRoots = null;
        if (lost != null) throw lost;
    }

    private void relockQuietly() {
        lock.lock();
        try {
            if (!closed && channel != null && owner.isLost()) relock();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "re-locking temporary roots file " + file + ": " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /** The temp-roots file, or null before the first root. */
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            if (channel != null) {
                channel.close();
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new StoreException("removing temporary roots file `" + file + "': " + e.getMessage());
        } finally {
            if (owner != null) owner.close();
            lock.unlock();
        }
    }
}
