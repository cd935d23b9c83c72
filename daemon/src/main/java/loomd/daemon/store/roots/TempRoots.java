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
 * root: under a shared {@code gc.lock} the file is (re)created, then shared-locked; a non-empty
 * file means a GC marked it stale in between, so start again. Each root is appended as the path
 * and a NUL under an exclusive lock (blocking while a GC holds its shared lock), then the lock
 * goes back to shared. {@link #close} unlinks the file, then drops the locks.
 *
 * <p>Threads: a session uses its own instance from its virtual thread; the store's internal
 * instance is shared, so {@link #lock} serialises appends.
 */
public final class TempRoots implements SessionRoots {
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final Path stateDir;
    private final FileLocker locker;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private FileLocker.Owner owner;
    private FileChannel channel;
    private Path file;
    private boolean closed;

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
            if (channel == null) create();
            owner.lock(file, true);
            try {
                ByteBuffer buf = ByteBuffer.wrap((path + '\0').getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) channel.write(buf);
            } finally {
                owner.lock(file, false);
            }
        } catch (IOException e) {
            throw new StoreException("writing temporary roots file `" + file + "': " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    private void create() throws IOException {
        Path dir = stateDir.resolve("temproots");
        Path gcLock = GcLock.path(stateDir);
        while (true) {
            Files.createDirectories(dir);
            file = dir.resolve(name);
            try (FileLocker.Owner gc = locker.newOwner("gc-lock-for-" + name)) {
                GcLock.ensureExists(gcLock);
                gc.lock(gcLock, false);
                Files.deleteIfExists(file);
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                owner = locker.newOwner("temproots-" + name);
            }
            owner.lock(file, false);
            if (Files.size(file) == 0) break;
            owner.close();
        }
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
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
            if (channel == null) return;
            try {
                channel.close();
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new StoreException("removing temporary roots file `" + file + "': " + e.getMessage());
            } finally {
                owner.close();
            }
        } finally {
            lock.unlock();
        }
    }
}
