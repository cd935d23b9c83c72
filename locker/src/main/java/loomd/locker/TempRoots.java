package loomd.locker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Upstream's GC lock and temp-roots protocol (daemon.md 7.3) on the locker. Calls block until the locker
 * answers: use them from virtual threads (they park) or platform threads.
 *
 * <p>File names: {@code V/temproots/<n>} with {@code n} a fresh random number above the kernel's largest possible
 * pid ({@link #FIRST_NAME}), created with O_EXCL. Upstream's collector reads every file of the directory
 * whatever its name; tools that parse the name as a pid still get a number; an upstream session, which
 * unlinks any existing {@code temproots/<its pid>} as stale, can never hit a loomd file.
 */
public final class TempRoots {
    /** One above PID_MAX_LIMIT (4194304 on 64-bit Linux): no process ever has this pid or a higher one. */
    public static final long FIRST_NAME = 4_194_305L;
    public static final String GC_WAIT_MESSAGE = "waiting for the big garbage collector lock...";

    private TempRoots() {}

    public static Path gcLockOf(Path stateDir) {
        return stateDir.resolve("gc.lock");
    }

    public static Path directoryOf(Path stateDir) {
        return stateDir.resolve("temproots");
    }

    /**
     * {@code wopSyncWithGC}: waits until no collection is running by taking gc.lock shared and dropping it.
     * {@code onWait} runs (upstream prints {@link #GC_WAIT_MESSAGE}) if a collector holds it.
     */
    public static void syncWithGc(LockerClient client, LockOwner owner, Path stateDir, Runnable onWait)
            throws LockerException {
        PathLock.Held gc = lockReporting(client, owner, gcLockOf(stateDir), LockMode.SHARED, onWait);
        client.unlock(gc).join();
    }

    /** A session's temp-roots file, held shared for the session's life. Thread-safe. */
    public static final class SessionFile implements AutoCloseable {
        private final LockerClient client;
        private final Path path;
        private final ReentrantLock appending = new ReentrantLock();
        private PathLock.Held lock;

        private SessionFile(LockerClient client, Path path, PathLock.Held lock) {
            this.client = client;
            this.path = path;
            this.lock = lock;
        }

        /**
         * Creates and locks the session's file while holding gc.lock shared, so that no collector is reading the
         * directory meanwhile. Unlike upstream, the file is locked before gc.lock is released, so a collector
         * can never find it unlocked and mark it stale; the size check is kept anyway.
         */
        public static SessionFile create(LockerClient client, LockOwner session, Path stateDir, Runnable onGcWait)
                throws IOException {
            Path dir = Files.createDirectories(directoryOf(stateDir));
            while (true) {
                PathLock.Held gc = lockReporting(client, session, gcLockOf(stateDir), LockMode.SHARED, onGcWait);
                Path file;
                PathLock.Held held;
                try {
                    file = createFresh(dir);
                    held = LockerException.await(client.lock(session, file, LockMode.SHARED, Wait.WAIT,
                            LockFileOption.NO_CREATE)).held();
                } finally {
                    client.unlock(gc).join();
                }
                if (held.sizeAtLock() == 0) {
                    return new SessionFile(client, file, held);
                }
                client.unlock(held).join();
            }
        }

        public Path path() {
            return path;
        }

        /**
         * Appends a store path (NUL-terminated) under an exclusive lock, which waits while a collector is reading
         * this file, then downgrades to shared.
         */
        public void add(String storePath) throws IOException {
            appending.lock();
            try {
                if (lock == null) {
                    throw new IllegalStateException("temp-roots file " + path + " is closed");
                }
                PathLock.Held exclusive =
                        LockerException.await(client.relock(lock, LockMode.EXCLUSIVE, Wait.WAIT)).held();
                lock = exclusive;
                Files.write(path, (storePath + '\0').getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
                lock = LockerException.await(client.relock(exclusive, LockMode.SHARED, Wait.TRY)).held();
            } finally {
                appending.unlock();
            }
        }

        /** Session end: the file goes first, then its lock. */
        @Override
        public void close() throws IOException {
            appending.lock();
            try {
                if (lock != null) {
                    Files.deleteIfExists(path);
                    client.unlock(lock).join();
                    lock = null;
                }
            } finally {
                appending.unlock();
            }
        }
    }

    /** A collection in progress: gc.lock held exclusive, and every live temp-roots file held shared once read. */
    public static final class Collector implements AutoCloseable {
        private final LockerClient client;
        private final LockOwner owner;
        private final Path stateDir;

        private Collector(LockerClient client, LockOwner owner, Path stateDir) {
            this.client = client;
            this.owner = owner;
            this.stateDir = stateDir;
        }

        /** Takes gc.lock exclusive (waiting for sessions creating their files; {@code onWait} first). */
        public static Collector start(LockerClient client, Path stateDir, Runnable onWait) throws LockerException {
            LockOwner owner = client.newOwner("garbage collector");
            lockReporting(client, owner, gcLockOf(stateDir), LockMode.EXCLUSIVE, onWait);
            return new Collector(client, owner, stateDir);
        }

        /**
         * Reads every temp-roots file: a file whose owner is dead (lockable exclusive) is removed (unlinked, then
         * "d" written into it; {@code onStale} runs first, upstream prints "removing stale temporary roots file"),
         * a live one is locked shared until {@link #close} (its session then waits before adding roots) and read.
         * Returns the entries in file order; checking that they are store paths is the caller's job.
         */
        public Set<String> readTempRoots(Consumer<Path> onStale) throws IOException {
            Set<String> roots = new LinkedHashSet<>();
            Path dir = directoryOf(stateDir);
            if (!Files.isDirectory(dir)) {
                return roots;
            }
            for (Path file : listFiles(dir)) {
                try {
                    PathLock probe = LockerException.await(client.lock(owner, file, LockMode.EXCLUSIVE, Wait.TRY,
                            LockFileOption.NO_CREATE));
                    if (probe.acquired()) {
                        onStale.accept(file);
                        client.unlockAndDelete(probe).join();
                        continue;
                    }
                    LockerException.await(client.lock(owner, file, LockMode.SHARED, Wait.WAIT,
                            LockFileOption.NO_CREATE)).held();
                } catch (LockFailedException e) {
                    if (e.isNoSuchFile()) {
                        continue;
                    }
                    throw e;
                }
                byte[] content = Files.readAllBytes(file);
                int start = 0;
                for (int i = 0; i < content.length; i++) {
                    if (content[i] == 0) {
                        roots.add(new String(content, start, i - start, StandardCharsets.UTF_8));
                        start = i + 1;
                    }
                }
            }
            return roots;
        }

        /** Ends the collection: drops gc.lock and every temp-roots lock. */
        @Override
        public void close() {
            client.releaseAll(owner).join();
        }
    }

    private static List<Path> listFiles(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                if (!p.getFileName().toString().startsWith(".")) {
                    files.add(p);
                }
            }
        }
        return files;
    }

    private static Path createFresh(Path dir) throws IOException {
        while (true) {
            long n = ThreadLocalRandom.current().nextLong(FIRST_NAME, Integer.MAX_VALUE);
            try {
                return Files.createFile(dir.resolve(Long.toString(n)),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException taken) {
                // another live or stale file has this number: draw again
            }
        }
    }

    private static PathLock.Held lockReporting(LockerClient client, LockOwner owner, Path file, LockMode mode,
            Runnable onWait) throws LockerException {
        PathLock lock = LockerException.await(client.lock(owner, file, mode, Wait.TRY));
        if (lock.acquired()) {
            return lock.held();
        }
        onWait.run();
        return LockerException.await(client.lock(owner, file, mode, Wait.WAIT)).held();
    }
}
