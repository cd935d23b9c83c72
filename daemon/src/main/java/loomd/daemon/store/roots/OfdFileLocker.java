package loomd.daemon.store.roots;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;

import loomd.daemon.store.StoreException;
import loomd.posix.Fds;
import loomd.posix.LockKind;
import loomd.posix.OfdLocks;
import loomd.posix.PosixException;

/**
 * {@link FileLocker} over OFD locks taken in this JVM ({@code loomd.posix}): each owner keeps one
 * open file description per locked file, so owners exclude each other exactly as processes do,
 * and other processes' fcntl locks conflict both ways. A wait runs {@code F_OFD_SETLKW} on a
 * platform thread while the caller (a virtual thread) parks on the future.
 */
public final class OfdFileLocker implements FileLocker, AutoCloseable {
    private final ExecutorService waiters = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("loomd-store-lockwait-", 0).daemon(true).factory());

    @Override
    public Owner newOwner(String label) {
        return new OfdOwner();
    }

    @Override
    public PathLock lockPath(Path physicalPath) {
        Path lockFile = Path.of(physicalPath + ".lock");
        while (true) {
            int fd = open(lockFile);
            try {
                lockOn(fd, true, lockFile);
                if (sizeOf(fd) == 0) return new OfdPathLock(lockFile, fd);
            } catch (RuntimeException e) {
                Fds.closeQuietly(fd);
                throw e;
            }
            // The previous holder deleted it after its item became valid: a stale file.
            Fds.closeQuietly(fd);
        }
    }

    private static int open(Path file) {
        try {
            return Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_CLOEXEC, 0600);
        } catch (PosixException e) {
            throw new StoreException("opening lock file `" + file + "': " + e.getMessage());
        }
    }

    private static long sizeOf(int fd) {
        try {
            return Files.size(Path.of("/proc/self/fd/" + fd));
        } catch (IOException e) {
            throw new StoreException("statting lock file: " + e.getMessage());
        }
    }

    private void lockOn(int fd, boolean exclusive, Path file) {
        LockKind kind = exclusive ? LockKind.WRITE : LockKind.READ;
        try {
            if (OfdLocks.tryLock(fd, kind)) return;
        } catch (PosixException e) {
            throw new StoreException("acquiring lock on `" + file + "': " + e.getMessage());
        }
        try {
            CompletableFuture.runAsync(() -> {
                try {
                    OfdLocks.lockWait(fd, kind);
                } catch (PosixException e) {
                    throw new CompletionException(e);
                }
            }, waiters).join();
        } catch (CompletionException e) {
            throw new StoreException("acquiring lock on `" + file + "': " + e.getCause().getMessage());
        }
    }

    private boolean tryOn(int fd, boolean exclusive, Path file) {
        try {
            return OfdLocks.tryLock(fd, exclusive ? LockKind.WRITE : LockKind.READ);
        } catch (PosixException e) {
            throw new StoreException("acquiring lock on `" + file + "': " + e.getMessage());
        }
    }

    private final class OfdOwner implements Owner {
        private final ReentrantLock mutex = new ReentrantLock();
        private final Map<Path, Integer> fds = new HashMap<>();

        @Override
        public void lock(Path file, boolean exclusive) {
            lockOn(fdFor(file), exclusive, file);
        }

        @Override
        public boolean tryLock(Path file, boolean exclusive) {
            return tryOn(fdFor(file), exclusive, file);
        }

        private int fdFor(Path file) {
            mutex.lock();
            try {
                return fds.computeIfAbsent(file, OfdFileLocker::open);
            } finally {
                mutex.unlock();
            }
        }

        @Override
        public void close() {
            mutex.lock();
            try {
                fds.values().forEach(Fds::closeQuietly);
                fds.clear();
            } finally {
                mutex.unlock();
            }
        }
    }

    private static final class OfdPathLock implements PathLock {
        private final Path file;
        private final int fd;
        private boolean delete;
        private boolean closed;

        OfdPathLock(Path file, int fd) {
            this.file = file;
            this.fd = fd;
        }

        @Override
        public void setDeletion(boolean delete) {
            this.delete = delete;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            try {
                if (delete) {
                    Files.deleteIfExists(file);
                    // Marks the file stale for anyone who opened it before the unlink.
                    Files.write(Path.of("/proc/self/fd/" + fd), "d".getBytes(StandardCharsets.US_ASCII),
                            StandardOpenOption.APPEND);
                }
            } catch (IOException e) {
                throw new StoreException("removing lock file `" + file + "': " + e.getMessage());
            } finally {
                Fds.closeQuietly(fd);
            }
        }
    }

    @Override
    public void close() {
        waiters.shutdownNow();
    }
}
