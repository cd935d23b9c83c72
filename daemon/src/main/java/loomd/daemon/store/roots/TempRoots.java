package loomd.daemon.store.roots;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import loomd.daemon.store.SessionRoots;
import loomd.daemon.store.StoreException;

/**
 * One temp-roots file {@code V/temproots/<name>} (daemon.md §3.6, §7.3), created on the first
 * root: under a shared {@code gc.lock} the file is (re)created and shared-locked, so no collector
 * ever finds it unlocked (upstream locks it just after dropping gc.lock, then checks for a
 * collector's "d" mark; holding gc.lock makes that race impossible). {@link #close} unlinks the
 * file, then drops the locks.
 *
 * <p>Each root is appended as the path and a NUL with one {@code write(2)}, without taking the
 * file's exclusive lock, and then {@code gc.lock} is probed ({@link GcProbe}). No collector holding
 * it: any collector starts later and reads the file after the write, so the root is seen; that is
 * the common case, and it costs no locker round trip. A collector holding it may have read the file
 * before the write: then the append falls back to upstream's protocol, an exclusive lock on the
 * file (waiting until that collector has finished and dropped its shared lock) and back to
 * shared, so when this returns, the caller's validity re-check sees whatever that collector
 * deleted. A collector reading while the write is under way sees at worst a last entry without its
 * NUL, which upstream's reader ignores. A path already appended to this file is not appended again
 * (up to {@link #REMEMBERED} paths per file). The store package documentation has the whole argument.
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
    /** Roots remembered per file so as not to append them twice; beyond this, appends repeat. */
    static final int REMEMBERED = 10_000;

    private final Path stateDir;
    private final FileLocker locker;
    private final GcProbe probe;
    private final boolean ownsProbe;
    private final String name;
    /** The roots in the current file (guarded by lock); cleared whenever a new file starts. */
    private final Set<String> rooted = new HashSet<>();
    private final ReentrantLock lock = new ReentrantLock();
    private FileLocker.Owner owner;
    private FileChannel channel;
    private Path file;
    private boolean closed;
    /** Why a re-lock in the background failed; the next root reports it once. */
    private StoreException lostRoots;

    /** A temp-roots file probing {@code gc.lock} with its own descriptor (tools and tests). */
    public TempRoots(Path stateDir, FileLocker locker, String label) {
        this(stateDir, locker, new GcProbe(stateDir), true, label);
    }

    /** A temp-roots file probing {@code gc.lock} through the store's shared {@code probe}. */
    public TempRoots(Path stateDir, FileLocker locker, GcProbe probe, String label) {
        this(stateDir, locker, probe, false, label);
    }

    private TempRoots(Path stateDir, FileLocker locker, GcProbe probe, boolean ownsProbe, String label) {
        this.stateDir = stateDir;
        this.locker = locker;
        this.probe = probe;
        this.ownsProbe = ownsProbe;
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
        if (rooted.contains(path)) return;
        writeWhole(path);
        if (probe.collectorActive()) {
            // Upstream's append: waits while that collector holds the file shared, i.e. until it is done.
            owner.lock(file, true);
            owner.lock(file, false);
        }
        if (rooted.size() < REMEMBERED) rooted.add(path);
    }

    /**
     * Appends the entry, or nothing: a write cut short (ENOSPC on a full disk) is cut back off, since a
     * torn entry would run into the next one and make the file unreadable to every collector
     * (upstream's reader refuses an entry that is not a store path).
     */
    private void writeWhole(String path) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap((path + '\0').getBytes(StandardCharsets.UTF_8));
        long before = channel.size();
        try {
            while (buf.hasRemaining()) channel.write(buf);
        } catch (IOException e) {
            channel.truncate(before);
            throw e;
        }
    }

    private void create() throws IOException {
        Path dir = stateDir.resolve("temproots");
        Files.createDirectories(dir);
        file = dir.resolve(name);
        rooted.clear();
        if (!probe.underOwnCollector(this::createLocked)) {
            try (FileLocker.Owner gc = lockGcShared()) {
                createLocked();
            }
        }
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    /** The file, new and shared-locked: under gc.lock, shared or this process's collector's. */
    private void createLocked() throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        lockFileShared();
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
                rooted.clear();
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
            if (ownsProbe) probe.close();
            lock.unlock();
        }
    }
}
